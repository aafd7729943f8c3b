"""Speech engines behind small interfaces: TTS (Piper, espeak-ng), STT (PocketSphinx).

All audio is mono signed 16-bit PCM as ``numpy.int16`` arrays with an explicit
sample rate. Backends live in their own modules (``piper_tts``, ``espeak``,
``pocketsphinx_stt``) and are imported on demand: importing this package must
stay cheap because the supervisor imports it before it knows which engines run.
"""

from appliance.speech.stt import SpeechToText, SttError, SttStream
from appliance.speech.tts import TextToSpeech, TtsError

__all__ = ["SpeechToText", "SttError", "SttStream", "TextToSpeech", "TtsError"]
