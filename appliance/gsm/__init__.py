"""The GSM line in the appliance: calls from the SIM7600 bridged into Asterisk, and SMS.

The modem itself is driven by the independent ``modem`` package.
"""
