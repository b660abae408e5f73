"""The password every test staff member gets."""

PASSWORD = "correct-horse-battery-42"
