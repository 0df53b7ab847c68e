/* Page texts in Chinese (first) and English, and the language switch.
 *
 * The language comes from `?lang=zh|en`, else from localStorage, else Chinese; a choice made
 * with `?lang=` or with the switch button is remembered in localStorage.
 * Static texts are marked in the HTML: data-i18n (text), data-i18n-placeholder,
 * data-i18n-aria-label, data-i18n-title. Pages re-render their dynamic parts on the
 * document's "langchange" event.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "hall.lang";

  var TEXTS = {
    zh: {
      "lang.switch": "English",
      "lang.switch.label": "Switch to English",
      "common.hall": "政务服务中心",
      "common.minutes": "{n} 分钟",
      "common.about_minutes": "约 {n} 分钟",
      "common.less_than_minute": "不到 1 分钟",
      "common.seconds": "{n} 秒",
      "common.hours_minutes": "{h} 小时 {m} 分",
      "common.people": "{n} 人",
      "common.none": "无",
      "common.dash": "—",
      "common.reconnecting": "连接中断，正在重连…",
      "common.connecting": "正在连接…",
      "common.back": "返回",
      "common.cancel": "取消",
      "common.confirm": "确定",
      "common.window_n": "{n}号窗口",
      "common.error": "操作未成功：{msg}",

      "state.waiting": "等候中",
      "state.called": "已叫号",
      "state.serving": "办理中",
      "state.done": "已办结",
      "state.no_show": "已过号",
      "state.cancelled": "已取消",
      "wstate.open": "开放",
      "wstate.paused": "暂停",
      "wstate.closed": "关闭",
      "wstate.idle": "空闲",

      "err.daily_cap_reached": "今日号源已满",
      "err.service_closed": "该业务暂停办理",
      "err.unknown_service": "没有该业务",
      "err.not_found": "未找到（预约码无效或不是今天的预约）",
      "err.id_number_typed": "这是身份证号码，不是预约码。请在读卡器上放身份证，或输入预约短信中的预约码",
      "err.invalid_state": "当前状态不能进行此操作",
      "err.window_closed": "窗口未签到，请先签到",
      "err.window_paused": "窗口已暂停，请先恢复",
      "err.no_ticket": "当前没有在办的号",
      "err.forbidden": "无权进行此操作",
      "err.bad_request": "请求有误",
      "err.unknown_op": "不支持的操作",
      "err.unknown_device": "未登记的设备",
      "err.internal": "系统繁忙，请稍后再试",
      "err.timeout": "网络连接异常，请稍后再试或咨询工作人员",
      "err.other": "操作未成功，请咨询工作人员",

      "login.title": "大厅管理登录",
      "login.name": "用户名",
      "login.password": "密码",
      "login.submit": "登录",

      "dash.title": "大厅管理",
      "dash.logout": "退出登录",
      "dash.kpis": "今日指标",
      "kpi.arrivals": "取号",
      "kpi.served": "办结",
      "kpi.no_show_pct": "过号率",
      "kpi.mean_wait": "平均等候",
      "kpi.max_wait": "最长等候",
      "kpi.service_level": "服务达标率",
      "kpi.mean_rating": "平均评价",
      "kpi.ratings": "{n} 次评价，差评 {bad}",
      "kpi.no_show_count": "过号 {n}",
      "kpi.mean_service": "平均办理 {t}",
      "dash.queues": "排队情况",
      "dash.col.service": "业务",
      "dash.col.waiting": "等候",
      "dash.col.longest": "最长等候",
      "dash.col.eta": "预计等候",
      "dash.col.status": "状态",
      "dash.col.action": "操作",
      "dash.svc.open": "开放",
      "dash.svc.no_window": "无窗口开放",
      "dash.svc.closed": "已暂停受理",
      "dash.svc.full": "今日已满",
      "dash.svc.close": "暂停受理",
      "dash.col.actions": "操作",
      "dash.win.pause": "暂停",
      "dash.win.close": "关闭",
      "dash.win.pause.label": "暂停{name}",
      "dash.win.close.label": "关闭{name}",
      "dash.win.pause.reason": "值班长暂停",
      "dash.svc.reopen": "恢复受理",
      "dash.svc.close.label": "暂停受理 {name}",
      "dash.svc.reopen.label": "恢复受理 {name}",
      "dash.windows": "窗口",
      "dash.col.window": "窗口",
      "dash.col.state": "状态",
      "dash.col.staff": "工作人员",
      "dash.col.ticket": "当前号",
      "dash.col.served": "今日办结",
      "dash.col.paused": "暂停",
      "dash.paused_for": "已暂停 {t}：{reason}",
      "dash.devices": "设备",
      "dash.online": "在线",
      "dash.offline": "离线",
      "dash.hourly": "分时段取号与办结",
      "dash.hourly.arrivals": "取号",
      "dash.hourly.served": "办结",
      "dash.hourly.empty": "今日暂无数据",
      "dash.alarms": "告警",
      "dash.alarms.none": "当前无告警",
      "dash.alarm.ack": "确认",
      "dash.alarm.ack.label": "确认告警：{msg}",
      "dash.alarm.acked_by": "已由 {who} 确认",
      "dash.alarm.since": "自 {t}",
      "level.yellow": "黄色",
      "level.orange": "橙色",
      "level.red": "红色",
      "dash.notice": "屏幕通知",
      "dash.notice.label": "发送到大屏的通知（最多 200 字，留空则清除）",
      "dash.notice.current": "当前通知：{text}",
      "dash.notice.current_none": "当前无通知",
      "dash.notice.send": "发送通知",
      "dash.notice.clear": "清除通知",
      "dash.notice.sent": "通知已更新",
      "dash.log": "实时事件",
      "dash.log.empty": "暂无事件",
      "dash.done": "已完成",
      "dash.forbidden": "无权限：只读用户不能操作",

      "ev.ticket.taken": "取号",
      "ev.ticket.called": "叫号",
      "ev.ticket.recalled": "重呼",
      "ev.ticket.started": "开始办理",
      "ev.ticket.finished": "办结",
      "ev.ticket.no_show": "过号",
      "ev.ticket.transferred": "转移",
      "ev.ticket.cancelled": "取消",
      "ev.ticket.requeued": "过号重排",
      "ev.window.opened": "窗口签到",
      "ev.window.open": "窗口签到",
      "ev.window.paused": "窗口暂停",
      "ev.window.pause": "窗口暂停",
      "ev.window.resumed": "窗口恢复",
      "ev.window.resume": "窗口恢复",
      "ev.window.closed": "窗口下班",
      "ev.window.close": "窗口下班",
      "ev.eval.submitted": "评价",
      "ev.eval.unrated": "未评价",
      "ev.alarm.bad_rating": "差评告警",
      "ev.alarm.raised": "告警",
      "ev.alarm.acked": "告警已确认",
      "ev.appointment.booked": "预约",
      "ev.appointment.cancelled": "取消预约",
      "ev.catalogue.changed": "业务调整",
      "ev.notice.changed": "通知更新",

      "screen.title": "叫号大屏",
      "screen.default_notice": "请保管好号票，留意大屏和语音叫号；过号请到咨询台",
      "screen.no_call": "欢迎光临，请取号等候",
      "screen.recent": "最近叫号",
      "screen.recent.none": "暂无叫号",
      "screen.waiting": "等候情况",
      "screen.waiting_n": "等候 {n} 人",
      "screen.eta": "预计 {t}",
      "screen.svc_closed": "暂停办理",
      "screen.svc_full": "今日已满",
      "screen.notice": "通知",
      "screen.enable_sound": "开启语音播报",

      "kiosk.title": "自助取号",
      "kiosk.choose": "请选择办理的业务",
      "kiosk.waiting": "等候 {n} 人",
      "kiosk.eta": "预计等候 {t}",
      "kiosk.closed": "暂停办理",
      "kiosk.no_window": "暂无窗口开放",
      "kiosk.no_services": "正在加载业务列表…",
      "kiosk.green": "绿色通道",
      "kiosk.green.hint": "老年人、残疾人、军人、孕妇优先办理",
      "kiosk.green.on": "已选择绿色通道",
      "kiosk.appointment": "预约取号",
      "kiosk.appointment.hint": "已在网上或电话预约？输入预约码取号",
      "kiosk.appointment.code": "预约码",
      "kiosk.appointment.submit": "取号",
      "kiosk.appointment.clear": "清空",
      "kiosk.appointment.delete": "删除",
      "kiosk.taking": "正在取号，请稍候…",
      "kiosk.ticket.title": "取号成功",
      "kiosk.ticket.service": "业务：{name}",
      "kiosk.ticket.ahead": "前面还有 {n} 人",
      "kiosk.ticket.eta": "预计等候 {t}",
      "kiosk.ticket.green": "绿色通道",
      "kiosk.ticket.appointment": "预约",
      "kiosk.ticket.qr": "用手机扫码，随时查看排队进度",
      "kiosk.ticket.hint": "请留意大屏和语音叫号，过号需重新排队",
      "kiosk.ticket.back": "完成（{n} 秒后返回）",
      "kiosk.materials": "需带材料",
      "kiosk.error.title": "取号未成功",

      "pad.title": "窗口评价器",
      "pad.actions": "窗口操作",
      "pad.signin": "工作人员签到",
      "pad.staff": "工号",
      "pad.signin.submit": "签到",
      "pad.current": "当前号",
      "pad.no_ticket": "暂无",
      "pad.next": "叫号",
      "pad.recall": "重呼",
      "pad.no_show": "过号",
      "pad.start": "开始办理",
      "pad.finish": "办结",
      "pad.transfer": "转移",
      "pad.pause": "暂停",
      "pad.resume": "恢复",
      "pad.close": "下班",
      "pad.nobody": "当前无人等候",
      "pad.served": "今日办结 {n}",
      "pad.transfer.title": "转移到哪个业务？",
      "pad.pause.title": "暂停原因（必填）",
      "pad.pause.other": "其他原因",
      "pad.pause.submit": "确认暂停",
      "pad.paused": "已暂停：{reason}",
      "pad.reason.lunch": "午休",
      "pad.reason.away": "临时离开",
      "pad.reason.meeting": "会议",
      "pad.reason.consult": "业务咨询",
      "pad.reason.system": "系统故障",
      "pad.close.confirm": "确认下班？",
      "pad.rate.title": "请您为本次服务评价",
      "pad.rate.staff": "工号 {staff}",
      "pad.rate.ticket": "号码 {no}",
      "pad.rate.skip": "不评价",
      "pad.rate.thanks": "感谢您的评价！",
      "pad.rate.welcome": "欢迎办理",
      "pad.requeue": "过号重排",
      "pad.queue": "等候队列",
      "pad.queue.total": "共 {n} 人",
      "pad.queue.more": "另有 {n} 人未列出",
      "pad.queue.empty": "当前无人等候",
      "pad.queue.call": "叫{no}号",
      "pad.queue.waited": "已等 {t}",
      "pad.queue.for_you": "转至本窗口",
      "pad.queue.visit": "重排",
      "pad.recalls": "重呼 {n}/{cap}",
      "pad.confirm.call.next": "叫下一号？",
      "pad.confirm.call.ticket": "叫 {no} 号？",
      "pad.confirm.call.recall": "重呼 {no} 号？",
      "pad.confirm.call.no_show": "{no} 号过号？",
      "pad.confirm.ticket.start": "开始为 {no} 号办理？",
      "pad.confirm.window.resume": "恢复窗口？",
      "pad.confirm.hint": "按回车确认，Esc 取消",
      "pad.done.call.next": "已叫 {no} 号",
      "pad.done.call.ticket": "已叫 {no} 号",
      "pad.done.call.recall": "已重呼 {no} 号",
      "pad.done.call.no_show": "{no} 号已过号",
      "pad.done.ticket.start": "{no} 号开始办理",
      "pad.done.ticket.finish": "{no} 号已办结",
      "pad.done.ticket.transfer": "{no} 号已转移",
      "pad.done.ticket.requeue": "{no} 号已重新排队",
      "pad.done.window.resume": "窗口已恢复",
      "pad.done.window.pause": "窗口已暂停",
      "pad.transfer.to": "转移到",
      "pad.transfer.service": "业务",
      "pad.transfer.window": "窗口",
      "pad.transfer.staff": "工作人员",
      "pad.transfer.staff.label": "转给的工作人员（编号）",
      "pad.transfer.position": "排在",
      "pad.transfer.front": "队首",
      "pad.transfer.back": "队尾",
      "pad.transfer.arrival": "按取号顺序",
      "pad.transfer.submit": "确认转移",
      "pad.finish.title": "办结 {no} 号：已办理的业务",
      "pad.finish.submit": "确认办结",
      "pad.requeue.title": "过号重排：号码",
      "pad.requeue.label": "过号的号码",
      "pad.requeue.submit": "确认重排",
      "pad.manager.paused": "值班长已暂停本窗口：{reason}",
      "pad.manager.closed": "值班长已关闭本窗口，请重新签到",
      "pad.manager.ok": "知道了",
      "err.not_waiting": "该号不在等候中",
      "err.not_window_service": "本窗口不办理该号的业务",
      "err.no_window": "该工作人员未在任何窗口签到",
      "rate.5": "非常满意",
      "rate.4": "满意",
      "rate.3": "基本满意",
      "rate.2": "不满意",
      "rate.1": "非常不满意",

      "ticket.title": "我的排队",
      "ticket.number": "号码",
      "ticket.service": "业务",
      "ticket.state": "状态",
      "ticket.ahead": "前面人数",
      "ticket.eta": "预计等候",
      "ticket.where": "去哪里",
      "ticket.go": "请到{window}",
      "ticket.where.waiting": "请在大厅等候区等候，留意大屏和语音叫号",
      "ticket.where.serving": "正在{window}办理",
      "ticket.where.done": "本次办理已结束，感谢您的光临",
      "ticket.where.no_show": "已过号，请到咨询台或重新取号",
      "ticket.where.cancelled": "本号已取消",
      "ticket.updated": "更新于 {t}，有变化时自动更新",
      "ticket.not_found": "未找到该号（只能查询当天的号）",
      "ticket.offline": "暂时无法连接，稍后自动重试",
      "ticket.green": "绿色通道",
      "ticket.qr": "扫码在另一部手机上查看"
    },
    en: {
      "lang.switch": "中文",
      "lang.switch.label": "切换到中文",
      "common.hall": "Government Service Centre",
      "common.minutes": "{n} min",
      "common.about_minutes": "about {n} min",
      "common.less_than_minute": "under 1 min",
      "common.seconds": "{n} s",
      "common.hours_minutes": "{h} h {m} min",
      "common.people": "{n}",
      "common.none": "none",
      "common.dash": "—",
      "common.reconnecting": "Connection lost, reconnecting…",
      "common.connecting": "Connecting…",
      "common.back": "Back",
      "common.cancel": "Cancel",
      "common.confirm": "OK",
      "common.window_n": "Window {n}",
      "common.error": "Not done: {msg}",

      "state.waiting": "Waiting",
      "state.called": "Called",
      "state.serving": "Being served",
      "state.done": "Done",
      "state.no_show": "Missed",
      "state.cancelled": "Cancelled",
      "wstate.open": "Open",
      "wstate.paused": "Paused",
      "wstate.closed": "Closed",
      "wstate.idle": "Idle",

      "err.daily_cap_reached": "No more tickets today for this service",
      "err.service_closed": "This service is suspended",
      "err.unknown_service": "No such service",
      "err.not_found": "Not found (invalid code or not today's appointment)",
      "err.id_number_typed": "That is an ID card number, not a booking code. Lay your ID card on the reader, or enter the code from your booking message",
      "err.invalid_state": "Not possible in the current state",
      "err.window_closed": "Window not signed in: sign in first",
      "err.window_paused": "Window paused: resume first",
      "err.no_ticket": "No ticket in hand",
      "err.forbidden": "Not allowed",
      "err.bad_request": "Bad request",
      "err.unknown_op": "Unsupported operation",
      "err.unknown_device": "Unknown device",
      "err.internal": "System busy, please try again",
      "err.timeout": "Network problem, please try again or ask the staff",
      "err.other": "Not done, please ask the staff",

      "login.title": "Hall manager sign-in",
      "login.name": "User name",
      "login.password": "Password",
      "login.submit": "Sign in",

      "dash.title": "Hall dashboard",
      "dash.logout": "Sign out",
      "dash.kpis": "Today",
      "kpi.arrivals": "Arrivals",
      "kpi.served": "Served",
      "kpi.no_show_pct": "No-show",
      "kpi.mean_wait": "Mean wait",
      "kpi.max_wait": "Max wait",
      "kpi.service_level": "Service level",
      "kpi.mean_rating": "Mean rating",
      "kpi.ratings": "{n} ratings, {bad} bad",
      "kpi.no_show_count": "{n} no-shows",
      "kpi.mean_service": "mean service {t}",
      "dash.queues": "Queues",
      "dash.col.service": "Service",
      "dash.col.waiting": "Waiting",
      "dash.col.longest": "Longest wait",
      "dash.col.eta": "Est. wait",
      "dash.col.status": "Status",
      "dash.col.action": "Action",
      "dash.svc.open": "Open",
      "dash.svc.no_window": "No window open",
      "dash.svc.closed": "Suspended",
      "dash.svc.full": "Full for today",
      "dash.svc.close": "Suspend",
      "dash.col.actions": "Actions",
      "dash.win.pause": "Pause",
      "dash.win.close": "Close",
      "dash.win.pause.label": "Pause {name}",
      "dash.win.close.label": "Close {name}",
      "dash.win.pause.reason": "Paused by the hall manager",
      "dash.svc.reopen": "Reopen",
      "dash.svc.close.label": "Suspend {name}",
      "dash.svc.reopen.label": "Reopen {name}",
      "dash.windows": "Windows",
      "dash.col.window": "Window",
      "dash.col.state": "State",
      "dash.col.staff": "Staff",
      "dash.col.ticket": "Ticket",
      "dash.col.served": "Served",
      "dash.col.paused": "Paused",
      "dash.paused_for": "paused {t}: {reason}",
      "dash.devices": "Devices",
      "dash.online": "online",
      "dash.offline": "offline",
      "dash.hourly": "Arrivals and served by hour",
      "dash.hourly.arrivals": "Arrivals",
      "dash.hourly.served": "Served",
      "dash.hourly.empty": "No data yet today",
      "dash.alarms": "Alarms",
      "dash.alarms.none": "No alarms",
      "dash.alarm.ack": "Acknowledge",
      "dash.alarm.ack.label": "Acknowledge alarm: {msg}",
      "dash.alarm.acked_by": "acknowledged by {who}",
      "dash.alarm.since": "since {t}",
      "level.yellow": "yellow",
      "level.orange": "orange",
      "level.red": "red",
      "dash.notice": "Screen notice",
      "dash.notice.label": "Notice for the hall screens (200 characters at most; empty clears it)",
      "dash.notice.current": "Current notice: {text}",
      "dash.notice.current_none": "No notice",
      "dash.notice.send": "Send notice",
      "dash.notice.clear": "Clear notice",
      "dash.notice.sent": "Notice updated",
      "dash.log": "Live events",
      "dash.log.empty": "No events yet",
      "dash.done": "Done",
      "dash.forbidden": "Not allowed: read-only user",

      "ev.ticket.taken": "ticket taken",
      "ev.ticket.called": "called",
      "ev.ticket.recalled": "recalled",
      "ev.ticket.started": "started",
      "ev.ticket.finished": "finished",
      "ev.ticket.no_show": "no-show",
      "ev.ticket.transferred": "transferred",
      "ev.ticket.cancelled": "cancelled",
      "ev.ticket.requeued": "requeued",
      "ev.window.opened": "window signed in",
      "ev.window.open": "window signed in",
      "ev.window.paused": "window paused",
      "ev.window.pause": "window paused",
      "ev.window.resumed": "window resumed",
      "ev.window.resume": "window resumed",
      "ev.window.closed": "window closed",
      "ev.window.close": "window closed",
      "ev.eval.submitted": "rating",
      "ev.eval.unrated": "unrated",
      "ev.alarm.bad_rating": "bad rating",
      "ev.alarm.raised": "alarm",
      "ev.alarm.acked": "alarm acknowledged",
      "ev.appointment.booked": "appointment booked",
      "ev.appointment.cancelled": "appointment cancelled",
      "ev.catalogue.changed": "catalogue changed",
      "ev.notice.changed": "notice changed",

      "screen.title": "Calling screen",
      "screen.default_notice": "Keep your ticket and watch the screen; missed calls: ask at the information desk",
      "screen.no_call": "Welcome, please take a ticket",
      "screen.recent": "Recent calls",
      "screen.recent.none": "No calls yet",
      "screen.waiting": "Waiting",
      "screen.waiting_n": "{n} waiting",
      "screen.eta": "wait {t}",
      "screen.svc_closed": "Suspended",
      "screen.svc_full": "Full for today",
      "screen.notice": "Notice",
      "screen.enable_sound": "Turn on voice",

      "kiosk.title": "Take a ticket",
      "kiosk.choose": "Choose a service",
      "kiosk.waiting": "{n} waiting",
      "kiosk.eta": "wait {t}",
      "kiosk.closed": "Suspended",
      "kiosk.no_window": "No window open yet",
      "kiosk.no_services": "Loading services…",
      "kiosk.green": "Priority lane",
      "kiosk.green.hint": "Elderly, disabled, military, pregnant",
      "kiosk.green.on": "Priority lane chosen",
      "kiosk.appointment": "Appointment",
      "kiosk.appointment.hint": "Booked online or by phone? Enter your code",
      "kiosk.appointment.code": "Appointment code",
      "kiosk.appointment.submit": "Get ticket",
      "kiosk.appointment.clear": "Clear",
      "kiosk.appointment.delete": "Delete",
      "kiosk.taking": "Getting your ticket…",
      "kiosk.ticket.title": "Your ticket",
      "kiosk.ticket.service": "Service: {name}",
      "kiosk.ticket.ahead": "{n} ahead of you",
      "kiosk.ticket.eta": "estimated wait {t}",
      "kiosk.ticket.green": "Priority lane",
      "kiosk.ticket.appointment": "Appointment",
      "kiosk.ticket.qr": "Scan to follow your place in the queue",
      "kiosk.ticket.hint": "Watch the screen and listen for your number",
      "kiosk.ticket.back": "Done (back in {n} s)",
      "kiosk.materials": "What to bring",
      "kiosk.error.title": "No ticket",

      "pad.title": "Window pad",
      "pad.actions": "Window actions",
      "pad.signin": "Staff sign-in",
      "pad.staff": "Staff ID",
      "pad.signin.submit": "Sign in",
      "pad.current": "Current",
      "pad.no_ticket": "none",
      "pad.next": "Call next",
      "pad.recall": "Recall",
      "pad.no_show": "No-show",
      "pad.start": "Start",
      "pad.finish": "Finish",
      "pad.transfer": "Transfer",
      "pad.pause": "Pause",
      "pad.resume": "Resume",
      "pad.close": "Sign off",
      "pad.nobody": "Nobody is waiting",
      "pad.served": "served today {n}",
      "pad.transfer.title": "Transfer to which service?",
      "pad.pause.title": "Reason for the pause (required)",
      "pad.pause.other": "Other reason",
      "pad.pause.submit": "Pause",
      "pad.paused": "Paused: {reason}",
      "pad.reason.lunch": "Lunch break",
      "pad.reason.away": "Away briefly",
      "pad.reason.meeting": "Meeting",
      "pad.reason.consult": "Consultation",
      "pad.reason.system": "System failure",
      "pad.close.confirm": "Sign off now?",
      "pad.rate.title": "Please rate our service",
      "pad.rate.staff": "Staff {staff}",
      "pad.rate.ticket": "Ticket {no}",
      "pad.rate.skip": "Skip",
      "pad.rate.thanks": "Thank you for your rating!",
      "pad.rate.welcome": "Welcome",
      "pad.requeue": "Requeue",
      "pad.queue": "Waiting",
      "pad.queue.total": "{n} in all",
      "pad.queue.more": "{n} more not listed",
      "pad.queue.empty": "Nobody is waiting",
      "pad.queue.call": "Call {no}",
      "pad.queue.waited": "waited {t}",
      "pad.queue.for_you": "sent to this window",
      "pad.queue.visit": "requeued",
      "pad.recalls": "recalled {n}/{cap}",
      "pad.confirm.call.next": "Call the next ticket?",
      "pad.confirm.call.ticket": "Call {no}?",
      "pad.confirm.call.recall": "Recall {no}?",
      "pad.confirm.call.no_show": "Mark {no} as a no-show?",
      "pad.confirm.ticket.start": "Start serving {no}?",
      "pad.confirm.window.resume": "Resume the window?",
      "pad.confirm.hint": "Enter confirms, Esc cancels",
      "pad.done.call.next": "{no} called",
      "pad.done.call.ticket": "{no} called",
      "pad.done.call.recall": "{no} recalled",
      "pad.done.call.no_show": "{no} marked no-show",
      "pad.done.ticket.start": "Serving {no}",
      "pad.done.ticket.finish": "{no} finished",
      "pad.done.ticket.transfer": "{no} transferred",
      "pad.done.ticket.requeue": "{no} is waiting again",
      "pad.done.window.resume": "Window resumed",
      "pad.done.window.pause": "Window paused",
      "pad.transfer.to": "Transfer to",
      "pad.transfer.service": "Service",
      "pad.transfer.window": "Window",
      "pad.transfer.staff": "Clerk",
      "pad.transfer.staff.label": "Clerk's staff ID",
      "pad.transfer.position": "Place",
      "pad.transfer.front": "Front",
      "pad.transfer.back": "Back",
      "pad.transfer.arrival": "By arrival",
      "pad.transfer.submit": "Transfer",
      "pad.finish.title": "Finish {no}: services done",
      "pad.finish.submit": "Finish",
      "pad.requeue.title": "Requeue a no-show",
      "pad.requeue.label": "Ticket number",
      "pad.requeue.submit": "Requeue",
      "pad.manager.paused": "The hall manager paused this window: {reason}",
      "pad.manager.closed": "The hall manager closed this window: sign in again",
      "pad.manager.ok": "OK",
      "err.not_waiting": "That ticket is not waiting",
      "err.not_window_service": "This window does not serve that ticket",
      "err.no_window": "That clerk is not signed in at any window",
      "rate.5": "Very satisfied",
      "rate.4": "Satisfied",
      "rate.3": "Basically satisfied",
      "rate.2": "Dissatisfied",
      "rate.1": "Very dissatisfied",

      "ticket.title": "My place in the queue",
      "ticket.number": "Number",
      "ticket.service": "Service",
      "ticket.state": "Status",
      "ticket.ahead": "Ahead of you",
      "ticket.eta": "Estimated wait",
      "ticket.where": "Where to go",
      "ticket.go": "Please go to {window}",
      "ticket.where.waiting": "Please wait in the hall and watch the screen",
      "ticket.where.serving": "Being served at {window}",
      "ticket.where.done": "Your visit is over, thank you",
      "ticket.where.no_show": "Missed: ask at the information desk or take a new ticket",
      "ticket.where.cancelled": "This ticket was cancelled",
      "ticket.updated": "Updated {t}; changes show at once",
      "ticket.not_found": "Ticket not found (only today's tickets)",
      "ticket.offline": "Cannot connect right now; retrying",
      "ticket.green": "Priority lane",
      "ticket.qr": "Scan to follow this ticket on another phone"
    }
  };

  function readStored() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      return null;
    }
  }

  function store(lang) {
    try {
      window.localStorage.setItem(STORAGE_KEY, lang);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
  }

  function initialLang() {
    var fromQuery = null;
    try {
      fromQuery = new URLSearchParams(window.location.search).get("lang");
    } catch (e) {
      fromQuery = null;
    }
    if (fromQuery === "zh" || fromQuery === "en") {
      store(fromQuery);
      return fromQuery;
    }
    var stored = readStored();
    return stored === "en" ? "en" : "zh";
  }

  var I18N = {
    lang: initialLang(),
    texts: TEXTS,

    /* The text for `key` in the current language, with {name} placeholders filled in. */
    t: function (key, vars) {
      var table = TEXTS[I18N.lang] || TEXTS.zh;
      var text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : TEXTS.zh[key];
      if (text === undefined) {
        text = key;
      }
      if (vars) {
        text = text.replace(/\{(\w+)\}/g, function (whole, name) {
          return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
        });
      }
      return text;
    },

    /* More texts, from a page's own file loaded after this one:
     * I18N.add({ zh: { "key": "…" }, en: { "key": "…" } }). */
    add: function (more) {
      Object.keys(more).forEach(function (lang) {
        var table = TEXTS[lang];
        if (table) {
          Object.keys(more[lang]).forEach(function (key) {
            table[key] = more[lang][key];
          });
        }
      });
    },

    has: function (key) {
      return Object.prototype.hasOwnProperty.call(TEXTS.zh, key);
    },

    /* Fill in every marked element under `root` (the whole document by default). */
    apply: function (root) {
      root = root || document;
      document.documentElement.lang = I18N.lang === "en" ? "en" : "zh-CN";
      var i, nodes;
      nodes = root.querySelectorAll("[data-i18n]");
      for (i = 0; i < nodes.length; i++) {
        nodes[i].textContent = I18N.t(nodes[i].getAttribute("data-i18n"));
      }
      nodes = root.querySelectorAll("[data-i18n-placeholder]");
      for (i = 0; i < nodes.length; i++) {
        nodes[i].setAttribute("placeholder", I18N.t(nodes[i].getAttribute("data-i18n-placeholder")));
      }
      nodes = root.querySelectorAll("[data-i18n-aria-label]");
      for (i = 0; i < nodes.length; i++) {
        nodes[i].setAttribute("aria-label", I18N.t(nodes[i].getAttribute("data-i18n-aria-label")));
      }
      nodes = root.querySelectorAll("[data-i18n-title]");
      for (i = 0; i < nodes.length; i++) {
        nodes[i].setAttribute("title", I18N.t(nodes[i].getAttribute("data-i18n-title")));
      }
      nodes = root.querySelectorAll("[data-lang-toggle]");
      for (i = 0; i < nodes.length; i++) {
        nodes[i].textContent = I18N.t("lang.switch");
        nodes[i].setAttribute("aria-label", I18N.t("lang.switch.label"));
        nodes[i].setAttribute("lang", I18N.lang === "en" ? "zh-CN" : "en");
      }
    },

    set: function (lang) {
      I18N.lang = lang === "en" ? "en" : "zh";
      store(I18N.lang);
      I18N.apply(document);
      document.dispatchEvent(new CustomEvent("langchange", { detail: { lang: I18N.lang } }));
    },

    toggle: function () {
      I18N.set(I18N.lang === "en" ? "zh" : "en");
    }
  };

  window.I18N = I18N;

  function init() {
    I18N.apply(document);
    var toggles = document.querySelectorAll("[data-lang-toggle]");
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].addEventListener("click", I18N.toggle);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
