"""SIM7600 features: status decoding, call tracking, commands (Sim7600), the line (GsmLine)."""
