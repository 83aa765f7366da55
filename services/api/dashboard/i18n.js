/**
 * The dashboard's words, in every language it speaks. Flat keys so a missing translation is a missing key, which the
 * unit test (services/api/test/dashboard-i18n.test.ts) names. Pure: nothing here touches the DOM or storage, so the
 * test imports it under Node.
 *
 * Rule ids, rule actions and data values are never translated: they come from the customer's rules file.
 */

export const LANGS = /** @type {const} */ (['en', 'zh-CN']);

/** @typedef {(typeof LANGS)[number]} Lang */

/** @type {Record<Lang, Record<string, string>>} */
export const messages = {
  en: {
    'app.name': 'leadscore',
    'app.title': 'leadscore — sales dashboard',
    'nav.label': 'Main',
    'nav.hot': 'Hot now',
    'nav.analyst': 'Analyst',
    'lang.label': 'Language',
    'lang.en': 'English',
    'lang.zh-CN': '简体中文',
    'auth.signedInAs': 'Signed in as {name}',
    'auth.logout': 'Log out',

    'login.title': 'Sign in',
    'login.intro': 'Paste your API token to see your leads.',
    'login.token': 'API token',
    'login.remember': 'Remember me on this device',
    'login.submit': 'Sign in',
    'login.checking': 'Checking…',
    'login.invalid': 'This token was not accepted. Check it and try again.',
    'login.failed': 'Could not reach the server ({status}).',
    'login.expired': 'Your session has ended. Please sign in again.',

    'live.open': 'Live updates on',
    'live.connecting': 'Connecting to live updates…',
    'live.closed': 'Live updates off',
    'toast.hot': '{lead} is now hot — call today',
    'toast.alert': '{lead}: {action}',
    'toast.dismiss': 'Dismiss',

    'page.loading': 'Loading…',
    'page.forbidden': 'Your token does not allow this page: it needs the {scope} scope.',
    'page.notFound': 'Not found: {what}',
    'page.noRoute': 'There is no such page.',
    'page.error': 'Something went wrong: {message}',
    'page.retry': 'Try again',
    'common.none': '—',
    'common.empty': 'Nothing yet.',

    'hot.title': 'Hot now',
    'hot.ranked': 'ranked {time}',
    'hot.count': '{count} leads shown',
    'hot.notReady': 'The ranking is not ready yet. Trying again in 5 seconds…',
    'hot.empty': 'No leads match these filters.',
    'hot.loadMore': 'Load more',
    'hot.restarted': 'The ranking was renewed; the list starts again from the top.',
    'filter.label': 'Filters',
    'filter.all': 'All',
    'filter.tier': 'Tier',
    'filter.role': 'Role',
    'filter.stage': 'Stage',
    'filter.owner': 'Owner',
    'filter.tag': 'Tag',
    'filter.company': 'Company ID',
    'filter.exact': 'exact match',
    'filter.clear': 'Clear filters',

    'col.rank': '#',
    'col.lead': 'Lead',
    'col.company': 'Company',
    'col.tier': 'Tier',
    'col.grade': 'Grade',
    'col.heat': 'Heat',
    'col.role': 'Role',
    'col.owner': 'Owner',
    'col.why': 'Why',
    'col.action': 'Suggested action',
    'col.lastSeen': 'Last seen',
    'col.rule': 'Rule',
    'col.points': 'Points',
    'col.time': 'Time',
    'col.left': 'Left now',
    'col.trait': 'Trait',
    'col.value': 'Value',
    'col.type': 'Type',
    'col.event': 'Event or page',
    'col.order': 'Order',

    'tier.hot': 'Hot',
    'tier.warm': 'Warm',
    'tier.cold': 'Cold',
    'action.hot': 'Call today',
    'action.warm': 'Follow up this week',
    'action.cold': 'Keep nurturing',
    'grade.title': 'Fit grade: how well the lead matches your ideal customer (A best)',

    'role.EB': 'EB',
    'role.EB.title': 'Economic buyer (EB): signs off the budget',
    'role.UB': 'UB',
    'role.UB.title': 'User buyer (UB): will use the product day to day',
    'role.TB': 'TB',
    'role.TB.title': 'Technical buyer (TB): checks the fit and can say no',
    'role.Coach': 'Coach',
    'role.Coach.title': 'Coach: an insider who helps you win the deal',

    'stage.prospect': 'Prospect',
    'stage.new': 'New customer',
    'stage.active': 'Active',
    'stage.dormant': 'Dormant',
    'stage.churned': 'Churned',

    'lead.kicker': 'Lead portrait',
    'lead.back': '← Hot now',
    'lead.fit': 'fit {points} pts',
    'lead.roleRule': 'role from rule {rule}',
    'lead.segment': 'RFM segment {segment}',
    'lead.rfmCode': 'RFM {code}',
    'lead.abc': 'ABC class {abc}',
    'lead.stageTitle': 'Lifecycle stage since {time} (before: {previous})',
    'lead.noLifecycle': 'No lifecycle snapshot yet',
    'lead.lastSeen': 'Last seen {time}',
    'tags.fact': 'Facts',
    'tags.stated': 'Stated',
    'tags.behavioral': 'Behaviour',
    'tags.quiet': 'Gone quiet',
    'lead.whyHot': 'Why this heat',
    'lead.whyText': '{reasons} — explains {explained} of {heat} heat.',
    'lead.whyNone': 'No scoring events in the ledger.',
    'lead.whyTextOlder': '{reasons} — explains {explained} of {heat} heat; another {older} comes from older events no longer itemised.',
    'lead.heatChart': 'Heat over time',
    'lead.ledger': 'Ledger',
    'lead.halfLife': 'half-life {hours} h',
    'lead.traits': 'Traits',
    'lead.timeline': 'Timeline',
    'lead.alerts': 'Alerts',
    'lead.companyLink': 'Company {name}',

    'alert.fired': 'fired {time}',
    'alert.take': 'I’ll take it',
    'alert.taken': 'Taken by {by} {time}',
    'alert.none': 'No alerts for this lead.',
    'alert.failed': 'Failed: {reason}',
    'alert.attempts': '{count} attempts, last {time}',
    'alert.ackFailed': 'Could not take the alert: {message}',

    'chart.heat': 'Heat',
    'chart.events': 'Scoring events',
    'chart.failed': 'The chart could not be drawn.',

    'company.kicker': 'Company',
    'company.buyingGroup': 'Buying group',
    'company.engaged': 'Engaged in the last {days} days',
    'company.missing': 'Missing',
    'company.couldFill': 'could fill it:',
    'company.nobody': 'nobody known yet',
    'company.allEngaged': 'Every role is engaged.',
    'company.noneEngaged': 'No role engaged yet.',
    'company.members': 'Members',
    'company.heatChart': 'Heat, last 14 days',

    'analyst.title': 'Analyst',
    'analyst.asOf': 'Snapshot as of {time}',
    'analyst.rfm': 'RFM grid',
    'analyst.rfmHelp': 'Buyers by recency (R, rows) and frequency (F, columns); hover a cell for its revenue.',
    'analyst.recency': 'Recency (R)',
    'analyst.frequency': 'Frequency (F)',
    'analyst.buyers': 'Buyers',
    'analyst.revenue': 'Revenue',
    'analyst.funnel': 'Lifecycle funnel',
    'analyst.history': 'Lifecycle over time',
    'analyst.sql': 'The SQL behind it',
    'analyst.empty': 'No snapshot yet: run pnpm rollup',
    'analyst.doc': 'Analyst guide: querying the rollups',
  },

  'zh-CN': {
    'app.name': 'leadscore',
    'app.title': 'leadscore — 销售看板',
    'nav.label': '主导航',
    'nav.hot': '当前热线索',
    'nav.analyst': '数据分析',
    'lang.label': '语言',
    'lang.en': 'English',
    'lang.zh-CN': '简体中文',
    'auth.signedInAs': '当前登录：{name}',
    'auth.logout': '退出登录',

    'login.title': '登录',
    'login.intro': '请粘贴您的 API 令牌以查看线索。',
    'login.token': 'API 令牌',
    'login.remember': '在此设备上记住我',
    'login.submit': '登录',
    'login.checking': '正在验证…',
    'login.invalid': '令牌无效，请检查后重试。',
    'login.failed': '无法连接服务器（{status}）。',
    'login.expired': '登录已失效，请重新登录。',

    'live.open': '实时更新已连接',
    'live.connecting': '正在连接实时更新…',
    'live.closed': '实时更新已断开',
    'toast.hot': '{lead} 已升为热线索——请今天立即跟进',
    'toast.alert': '{lead}：{action}',
    'toast.dismiss': '关闭',

    'page.loading': '加载中…',
    'page.forbidden': '您的令牌无权访问此页面：需要 {scope} 权限。',
    'page.notFound': '未找到：{what}',
    'page.noRoute': '页面不存在。',
    'page.error': '出错了：{message}',
    'page.retry': '重试',
    'common.none': '—',
    'common.empty': '暂无数据。',

    'hot.title': '当前热线索',
    'hot.ranked': '排名更新于 {time}',
    'hot.count': '已显示 {count} 条线索',
    'hot.notReady': '排名尚未生成，5 秒后自动重试…',
    'hot.empty': '没有符合筛选条件的线索。',
    'hot.loadMore': '加载更多',
    'hot.restarted': '排名已刷新，列表已从头重新加载。',
    'filter.label': '筛选',
    'filter.all': '全部',
    'filter.tier': '热度等级',
    'filter.role': '购买角色',
    'filter.stage': '生命周期阶段',
    'filter.owner': '负责人',
    'filter.tag': '标签',
    'filter.company': '公司 ID',
    'filter.exact': '完全匹配',
    'filter.clear': '清除筛选',

    'col.rank': '排名',
    'col.lead': '线索',
    'col.company': '公司',
    'col.tier': '热度等级',
    'col.grade': '匹配评级',
    'col.heat': '热度',
    'col.role': '购买角色',
    'col.owner': '负责人',
    'col.why': '热度来源',
    'col.action': '建议动作',
    'col.lastSeen': '最近活跃',
    'col.rule': '规则',
    'col.points': '加分',
    'col.time': '时间',
    'col.left': '当前剩余分值',
    'col.trait': '属性',
    'col.value': '值',
    'col.type': '类型',
    'col.event': '事件或页面',
    'col.order': '订单金额',

    'tier.hot': '热',
    'tier.warm': '温',
    'tier.cold': '冷',
    'action.hot': '立即跟进：今天致电',
    'action.warm': '本周内跟进',
    'action.cold': '持续培育',
    'grade.title': '匹配评级：线索与理想客户画像的契合程度（A 为最佳）',

    'role.EB': 'EB',
    'role.EB.title': '经济决策者(EB)：拍板预算的人',
    'role.UB': 'UB',
    'role.UB.title': '使用者(UB)：日常使用产品的人',
    'role.TB': 'TB',
    'role.TB.title': '技术把关者(TB)：评估技术匹配，拥有否决权',
    'role.Coach': 'Coach',
    'role.Coach.title': '内线(Coach)：在客户内部帮助我们推进的人',

    'stage.prospect': '潜在客户',
    'stage.new': '新客户',
    'stage.active': '活跃客户',
    'stage.dormant': '沉睡客户',
    'stage.churned': '流失客户',

    'lead.kicker': '客户画像',
    'lead.back': '← 返回当前热线索',
    'lead.fit': '匹配度 {points} 分',
    'lead.roleRule': '角色依据规则 {rule}',
    'lead.segment': 'RFM 分群：{segment}',
    'lead.rfmCode': 'RFM {code}',
    'lead.abc': 'ABC 分类：{abc}',
    'lead.stageTitle': '自 {time} 起处于该生命周期阶段（此前：{previous}）',
    'lead.noLifecycle': '暂无生命周期快照',
    'lead.lastSeen': '最近活跃：{time}',
    'tags.fact': '事实标签',
    'tags.stated': '自述标签',
    'tags.behavioral': '行为标签',
    'tags.quiet': '沉默标签',
    'lead.whyHot': '热度来源',
    'lead.whyText': '{reasons}——可解释当前热度 {heat} 中的 {explained}。',
    'lead.whyNone': '积分明细中暂无计分事件。',
    'lead.whyTextOlder': '{reasons}——可解释当前热度 {heat} 中的 {explained}；另有 {older} 来自未逐条保留的较早事件。',
    'lead.heatChart': '热度走势',
    'lead.ledger': '积分明细',
    'lead.halfLife': '半衰期 {hours} 小时',
    'lead.traits': '属性',
    'lead.timeline': '行为时间线',
    'lead.alerts': '提醒',
    'lead.companyLink': '所属公司：{name}',

    'alert.fired': '触发于 {time}',
    'alert.take': '我来跟进',
    'alert.taken': '已由 {by} 认领（{time}）',
    'alert.none': '该线索暂无提醒。',
    'alert.failed': '失败原因：{reason}',
    'alert.attempts': '已尝试 {count} 次，最近一次 {time}',
    'alert.ackFailed': '认领失败：{message}',

    'chart.heat': '热度',
    'chart.events': '计分事件',
    'chart.failed': '图表无法绘制。',

    'company.kicker': '公司',
    'company.buyingGroup': '购买角色（决策链）',
    'company.engaged': '近 {days} 天已参与',
    'company.missing': '缺失角色',
    'company.couldFill': '可补位人选：',
    'company.nobody': '暂无人选',
    'company.allEngaged': '所有购买角色均已参与。',
    'company.noneEngaged': '尚无购买角色参与。',
    'company.members': '成员',
    'company.heatChart': '近 14 天热度',

    'analyst.title': '数据分析',
    'analyst.asOf': '快照时间：{time}',
    'analyst.rfm': 'RFM 分群矩阵',
    'analyst.rfmHelp': '按最近购买（R，行）与购买频次（F，列）统计的买家数；将鼠标悬停在格子上可查看消费金额。',
    'analyst.recency': '最近购买（R）',
    'analyst.frequency': '购买频次（F）',
    'analyst.buyers': '买家数',
    'analyst.revenue': '消费金额',
    'analyst.funnel': '生命周期漏斗',
    'analyst.history': '生命周期趋势',
    'analyst.sql': '对应的 SQL',
    'analyst.empty': '暂无快照：请运行 pnpm rollup',
    'analyst.doc': '分析师指南：查询汇总数据',
  },
};

/** Whether `key` has a message in `lang` (used to show data values, e.g. an unknown stage, as they are). */
export function has(lang, key) {
  return Object.hasOwn(messages[lang] ?? {}, key);
}

/**
 * The message for `key` in `lang`, its `{name}` placeholders filled from `params`. An unknown language falls back to
 * English and an unknown key to the key itself, so a gap shows as `hot.title` on screen rather than as a blank.
 * A placeholder without a param is left as written.
 * @param {string} lang
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(lang, key, params) {
  const table = Object.hasOwn(messages, lang) ? messages[/** @type {Lang} */ (lang)] : messages.en;
  const text = Object.hasOwn(table, key) ? table[key] : Object.hasOwn(messages.en, key) ? messages.en[key] : key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** The placeholder names a message uses, for the test that both languages use the same ones. */
export function placeholders(text) {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

/**
 * The language to start in: the one remembered, else the browser's (any Chinese → zh-CN), else English.
 * @param {string | null | undefined} stored
 * @param {string | undefined} browser navigator.language
 * @returns {Lang}
 */
export function pickLang(stored, browser) {
  if (stored && LANGS.includes(/** @type {Lang} */ (stored))) return /** @type {Lang} */ (stored);
  return /^zh\b/i.test(browser ?? '') ? 'zh-CN' : 'en';
}
