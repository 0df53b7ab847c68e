/* Texts of the dashboard's alarms panel (dashboard_alarms.js) and of the hall's time zone. */
window.I18N.add({
  zh: {
    "alarms.kind.waiting": "排队人数",
    "alarms.kind.wait": "等候超时",
    "alarms.kind.service": "办理超时",
    "alarms.kind.paused": "暂停过久",
    "alarms.kind.device": "设备离线",
    "alarms.kind.rating": "差评",
    "alarms.filter.kind": "类别",
    "alarms.filter.kind.all": "全部类别",
    "alarms.filter.level": "级别",
    "alarms.filter.level.all": "全部级别",
    "alarms.filter.level.orange": "橙色及以上",
    "alarms.filter.level.red": "仅红色",
    "alarms.filter.within": "时段",
    "alarms.filter.within.0": "全部时间",
    "alarms.filter.within.900": "近 15 分钟",
    "alarms.filter.within.3600": "近 1 小时",
    "alarms.filter.within.14400": "近 4 小时",
    "alarms.filter.ack": "确认",
    "alarms.filter.ack.all": "全部状态",
    "alarms.filter.ack.open": "未确认",
    "alarms.filter.ack.acked": "已确认",
    "alarms.filter.reset": "清除筛选",
    "alarms.group.count": "{n} 条 · 未确认 {open}",
    "alarms.group.toggle": "展开或收起「{kind}」",
    "alarms.ack_all": "全部确认",
    "alarms.ack_all.label": "确认全部未确认的「{kind}」告警",
    "alarms.cause": "发生于 {t}",
    "alarms.over": "超限于 {t}",
    "alarms.acked": "{who} 于 {t} 确认",
    "alarms.none_shown": "没有符合筛选条件的告警",
    "alarms.shown": "显示 {shown} / {total}",
    "dash.zone": "时区 {zone}",
    "dash.zone.label": "本页所有时间均为大厅所在时区 {zone}"
  },
  en: {
    "alarms.kind.waiting": "Queue length",
    "alarms.kind.wait": "Waiting too long",
    "alarms.kind.service": "Service too long",
    "alarms.kind.paused": "Paused too long",
    "alarms.kind.device": "Device offline",
    "alarms.kind.rating": "Bad rating",
    "alarms.filter.kind": "Kind",
    "alarms.filter.kind.all": "All kinds",
    "alarms.filter.level": "Severity",
    "alarms.filter.level.all": "Any severity",
    "alarms.filter.level.orange": "Orange or red",
    "alarms.filter.level.red": "Red only",
    "alarms.filter.within": "Within",
    "alarms.filter.within.0": "Any time",
    "alarms.filter.within.900": "Last 15 min",
    "alarms.filter.within.3600": "Last hour",
    "alarms.filter.within.14400": "Last 4 hours",
    "alarms.filter.ack": "Acknowledged",
    "alarms.filter.ack.all": "Any state",
    "alarms.filter.ack.open": "Not acknowledged",
    "alarms.filter.ack.acked": "Acknowledged",
    "alarms.filter.reset": "Clear filters",
    "alarms.group.count": "{n} · {open} open",
    "alarms.group.toggle": "Show or hide \u201c{kind}\u201d",
    "alarms.ack_all": "Acknowledge all",
    "alarms.ack_all.label": "Acknowledge every open \u201c{kind}\u201d alarm",
    "alarms.cause": "happened at {t}",
    "alarms.over": "over the limit at {t}",
    "alarms.acked": "acknowledged by {who} at {t}",
    "alarms.none_shown": "No alarm matches the filters",
    "alarms.shown": "showing {shown} / {total}",
    "dash.zone": "Time zone {zone}",
    "dash.zone.label": "Every time on this page is in the hall's time zone, {zone}"
  }
});

/* The alarms' sentences, built from each alarm's `details` (alarm_text.js), in either language.
 * {window}: the window's name as the page shows it; {label}: the rating's words ("rate.N");
 * {reason}: the clerk's own text, shown as is. */
window.I18N.add({
  zh: {
    "alarms.msg.device": "设备 {id} 离线 {n} 分钟",
    "alarms.msg.wait": "{no} 已等候 {n} 分钟",
    "alarms.msg.service": "{no} 在{window}办理已 {n} 分钟",
    "alarms.msg.waiting": "{service} 等候 {n} 人",
    "alarms.msg.paused": "{window} 暂停 {n} 分钟",
    "alarms.msg.paused.reason": "{window} 暂停 {n} 分钟({reason})",
    "alarms.msg.rating": "{no} 差评「{label}」({window})",
    "alarms.msg.rating.staff": "{no} 差评「{label}」({window} 工号 {staff})"
  },
  en: {
    "alarms.msg.device": "Device {id} offline for {n} min",
    "alarms.msg.wait": "{no} waiting for {n} min",
    "alarms.msg.service": "{no} being served at {window} for {n} min",
    "alarms.msg.waiting": "{service}: {n} waiting",
    "alarms.msg.paused": "{window} paused for {n} min",
    "alarms.msg.paused.reason": "{window} paused for {n} min ({reason})",
    "alarms.msg.rating": "{no}: poor rating \u201c{label}\u201d ({window})",
    "alarms.msg.rating.staff": "{no}: poor rating \u201c{label}\u201d ({window}, staff {staff})"
  }
});
