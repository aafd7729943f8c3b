"""SMS codec: GSM-7/UCS2 text, SMS-SUBMIT/SMS-DELIVER PDUs, text-mode lines, reassembly."""

from modem.sms.concat import Reassembler
from modem.sms.fields import Concat
from modem.sms.pdu import (
    SmsDeliver,
    SmsSubmit,
    SmsSubmitPdu,
    decode_deliver,
    decode_submit,
    encode_deliver,
    encode_submit,
    split_text,
)
from modem.sms.text import (
    decode_text_body,
    encode_text_body,
    format_text_header,
    parse_text_header,
)

__all__ = [
    "Concat",
    "Reassembler",
    "SmsDeliver",
    "SmsSubmit",
    "SmsSubmitPdu",
    "decode_deliver",
    "decode_submit",
    "decode_text_body",
    "encode_deliver",
    "encode_submit",
    "encode_text_body",
    "format_text_header",
    "parse_text_header",
    "split_text",
]
