/* Texts of the self-service kiosk (/kiosk/<device>) beyond the shared ones in i18n.js. */
(function () {
  "use strict";

  window.I18N.add({
    zh: {
      "kiosk.full": "今日已满",
      "kiosk.full.hint": "今日号源已取完，请改日办理或咨询工作人员",
      "kiosk.offline": "暂停取号：与系统的连接中断，正在重连，请稍候或咨询工作人员",
      "kiosk.big_type": "大字",
      "kiosk.big_type.label": "大字模式",
      "kiosk.id_card": "刷身份证取号",
      "kiosk.id_card.hint": "请将身份证放在读卡区，取号后凭号票办理",
      "kiosk.materials.before": "办理前请确认带齐以下材料",
      "kiosk.documents.more": "请携带：{list}…等{n}项"
    },
    en: {
      "kiosk.full": "Full for today",
      "kiosk.full.hint": "No tickets left today: please come another day or ask the staff",
      "kiosk.offline": "Tickets paused: the connection to the hall system is lost, reconnecting. Please wait or ask the staff",
      "kiosk.big_type": "Large text",
      "kiosk.big_type.label": "Large text mode",
      "kiosk.id_card": "Use your ID card",
      "kiosk.id_card.hint": "Lay your resident ID card on the reader to get a ticket",
      "kiosk.materials.before": "Before you take a ticket, check you have",
      "kiosk.documents.more": "Bring: {list}… ({n} in all)"
    }
  });
})();
