"""Voice: the speaker, a contract device that says the hub's announcements as given
(`speaker`), its speech synthesis in a worker process (`synth`, with the engines the worker
runs in `engines`: pyttsx3 driving espeak-ng, or the espeak-ng command) and playback with
aplay (`playback`).

May import: `hall.contract`, `hall.domain`, `displays`. It is a device like any other.
"""
