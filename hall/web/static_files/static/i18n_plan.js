/* Texts of the dashboard's staffing advice panel (今日剩余时段人员建议). */
(function () {
  "use strict";

  window.I18N.add({
    zh: {
      "plan.title": "今日剩余时段人员建议",
      "plan.note": "按今日到号预测，{share}% 的群众在 {wait} 分钟内被叫号所需窗口；当前开放 {open} 个窗口",
      "plan.col.time": "时段",
      "plan.col.advised": "建议窗口",
      "plan.col.open": "当前开放",
      "plan.col.services": "各业务",
      "plan.more": "需增开 {n} 个",
      "plan.enough": "足够",
      "plan.swap": "改开窗口 {ids}",
      "plan.empty": "今日已无预计到号",
      "plan.unavailable": "暂时无法获取人员建议",
      "plan.all_short": "全部窗口开放仍不达标",
      "plan.paused": "（另有 {n} 个暂停）",
      "plan.waiting": "；当前排队 {n} 人计入本时段和下一时段"
    },
    en: {
      "plan.title": "Staffing for the rest of today",
      "plan.note": "Windows needed to call {share}% within {wait} min, from today's expected arrivals; {open} windows open now",
      "plan.col.time": "Time",
      "plan.col.advised": "Advised",
      "plan.col.open": "Open now",
      "plan.col.services": "Per service",
      "plan.more": "open {n} more",
      "plan.enough": "enough",
      "plan.swap": "open window {ids} instead",
      "plan.empty": "No more arrivals expected today",
      "plan.unavailable": "The staffing advice is not available right now",
      "plan.all_short": "short even with every window",
      "plan.paused": " ({n} more paused)",
      "plan.waiting": "; waiting now: {n}, counted in this half hour and the next"
    }
  });
})();
