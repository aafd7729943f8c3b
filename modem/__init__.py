"""GSM line (SIM7600 modem driver, SMS, simulator): built in its own issue.

Kept independent of ``appliance`` so it can be built and tested on its own.
"""
