"""The service layer: the only code in the portal that speaks to OMTrader.

    from crmportal.omtrader.client import get_omtrader
    from crmportal.omtrader.concurrent import gather

See client.py for the methods, entities.py for what they return, errors.py for what they raise.
"""
