/* Texts of the ticket page on a citizen's phone (/t/<no>): its alerts. */
I18N.add({
  zh: {
    "ticket.alerts_on": "开启提醒（振动和提示音）",
    "ticket.alert.near": "快到您了：前面还有 {n} 人，请回到等候区",
    "ticket.not_found.no": "未找到 {no} 号（只能查询当天的号）"
  },
  en: {
    "ticket.alerts_on": "Turn on alerts (vibration and sound)",
    "ticket.alert.near": "Nearly your turn: {n} ahead, please come back to the waiting area",
    "ticket.not_found.no": "Ticket {no} not found (only today's tickets)"
  }
});
