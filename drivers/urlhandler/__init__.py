"""pyserial URL handlers of ours (``serial.protocol_handler_packages``)."""
