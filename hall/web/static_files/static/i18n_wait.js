/* Why a wait has no estimate (`eta_reason` beside a null `eta_s`), in words for the kiosk,
 * the hall screen and the phone ticket page; a reason the hub adds later reads as the plain
 * "no estimate". */
I18N.add({
  zh: {
    "wait.none": "暂时无法预计等候时间",
    "wait.none.no_window_open": "暂无窗口办理此业务，无法预计等候时间",
    "wait.none.beyond_horizon": "排队人数很多，预计等候超过 16 小时"
  },
  en: {
    "wait.none": "No wait estimate for now",
    "wait.none.no_window_open": "No window is serving this yet, so no wait can be estimated",
    "wait.none.beyond_horizon": "A very long queue: the wait is likely over 16 hours"
  }
});
