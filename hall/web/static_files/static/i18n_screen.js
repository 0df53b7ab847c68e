/* The hall screen's big call box in English: the hub writes the call's sentence in Chinese, so
 * in English the page builds it from the call's ticket and window name. Chinese shows the
 * hub's own sentence; the zh text here is the same sentence, for a call that came without one. */
I18N.add({
  zh: {
    "screen.call": "请{ticket}号到{window}办理"
  },
  en: {
    "screen.call": "Ticket {ticket}, please go to {window}"
  }
});
