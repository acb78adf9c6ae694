// The dashboard's ECharts options, one function per chart, built from the statistics API's
// answers (emergency/api/live.py).  Colours follow the console: level I–IV red/orange/yellow/blue,
// unit statuses as on the map.
import { fmtDuration, fmtInt, isEnglish, label, t } from "./i18n.js";

const INK = "#cfe3ff";
const MUTED = "#7f98bd";
const GRID_LINE = "rgba(80, 140, 220, 0.18)";
const FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
const CATEGORY_COLOUR = {
  natural_disaster: "#36c5f0", accident: "#ff8a1f", public_health: "#2ecc71", social_security: "#a78bfa",
};
const SEGMENT = {
  call_processing_s: { colour: "#36c5f0", late: "#0e6d8c" },
  turnout_s: { colour: "#ffd21f", late: "#8c7200" },
  travel_s: { colour: "#2ecc71", late: "#b3261e" },
};

const base = () => ({
  backgroundColor: "transparent",
  textStyle: { color: INK, fontFamily: FONT },
  animationDuration: 400,
  tooltip: { backgroundColor: "rgba(6, 20, 40, .95)", borderColor: "#2f74c9", textStyle: { color: INK } },
});

const axis = (extra = {}) => ({
  axisLine: { lineStyle: { color: "#2a5c9a" } },
  axisLabel: { color: MUTED, fontSize: 11 },
  splitLine: { lineStyle: { color: GRID_LINE } },
  axisTick: { show: false },
  ...extra,
});

export function categoryOption(data) {
  const rows = data.by_category;
  return {
    ...base(),
    tooltip: { ...base().tooltip, trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { bottom: 0, textStyle: { color: MUTED, fontSize: 11 }, itemWidth: 10, itemHeight: 10 },
    series: [{
      type: "pie", roseType: "radius", radius: ["18%", "68%"], center: ["50%", "44%"],
      stillShowZeroSum: false, // no incidents: an empty ring, not four equal slices of nothing
      itemStyle: { borderColor: "#061226", borderWidth: 2, borderRadius: 3 },
      label: { color: INK, formatter: "{b}\n{c}", fontSize: 11 },
      data: rows.map((r) => ({ name: r.label, value: r.count, itemStyle: { color: CATEGORY_COLOUR[r.key] } })),
    }],
  };
}

export function levelOption(data) {
  const rows = data.by_level;
  return {
    ...base(),
    grid: { left: 40, right: 14, top: 18, bottom: 28 },
    tooltip: { ...base().tooltip, trigger: "axis" },
    xAxis: axis({ type: "category", data: rows.map((r) => r.label.replace(/[(（].*$/, "")) }),
    yAxis: axis({ type: "value", minInterval: 1 }),
    series: [{
      type: "bar", barWidth: "46%",
      data: rows.map((r) => ({ value: r.count, itemStyle: { color: label("levelColour", r.key), borderRadius: [3, 3, 0, 0] } })),
      label: { show: true, position: "top", color: INK, fontWeight: "bold" },
    }],
  };
}

export function hourOption(data) {
  const rows = data.by_hour;
  const hours = rows.map((r) => new Date(r.hour).toLocaleTimeString(isEnglish() ? "en-GB" : "zh-CN",
    { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
  return {
    ...base(),
    grid: { left: 36, right: 14, top: 16, bottom: 26 },
    tooltip: { ...base().tooltip, trigger: "axis" },
    xAxis: axis({ type: "category", data: hours, boundaryGap: false, axisLabel: { color: MUTED, fontSize: 10, interval: 3 } }),
    yAxis: axis({ type: "value", minInterval: 1 }),
    series: [{
      type: "line", name: t("chartIncidents"), smooth: true, symbol: "circle", symbolSize: 5,
      lineStyle: { color: "#36c5f0", width: 2 }, itemStyle: { color: "#36c5f0" },
      areaStyle: { color: { type: "linear", x: 0, y: 0, x2: 0, y2: 1,
        colorStops: [{ offset: 0, color: "rgba(54,197,240,.45)" }, { offset: 1, color: "rgba(54,197,240,0)" }] } },
      data: rows.map((r) => r.count),
    }],
  };
}

/** Stacked segments per incident (received → on scene); a segment over its target turns dark. */
export function responseOption(data, { limit = 12 } = {}) {
  const rows = data.incidents.filter((r) => r.segments.call_processing_s.seconds !== null).slice(0, limit).reverse();
  const names = { call_processing_s: t("segCall"), turnout_s: t("segTurnout"), travel_s: t("segTravel") };
  const targetTotal = Number(data.targets.call_processing_s) + Number(data.targets.response_s);
  const series = Object.entries(SEGMENT).map(([key, style]) => ({
    type: "bar", stack: "response", name: names[key], barWidth: 12,
    itemStyle: { color: style.colour },
    data: rows.map((r) => {
      const seg = r.segments[key];
      return {
        value: seg.seconds === null ? 0 : seg.seconds,
        target: seg.target_s, met: seg.met,
        itemStyle: { color: seg.met === false ? style.late : style.colour,
          borderColor: seg.met === false ? "#ff4d4f" : "transparent", borderWidth: seg.met === false ? 1 : 0 },
      };
    }),
  }));
  series[series.length - 1].markLine = {
    symbol: "none", silent: true,
    lineStyle: { color: "#ff4d4f", type: "dashed", width: 1.5 },
    label: { color: "#ff9a9a", formatter: t("targetLine", { t: fmtDuration(targetTotal) }), fontSize: 10 },
    data: [{ xAxis: targetTotal }],
  };
  return {
    ...base(),
    legend: { top: 0, right: 8, textStyle: { color: MUTED, fontSize: 11 }, itemWidth: 12, itemHeight: 8 },
    grid: { left: 120, right: 24, top: 24, bottom: 22 },
    tooltip: {
      ...base().tooltip, trigger: "axis", axisPointer: { type: "shadow" },
      formatter: (params) => {
        const row = rows[params[0].dataIndex];
        const lines = params.map((p) => `${p.marker}${p.seriesName}：${fmtDuration(p.data.value)}`
          + `（${t("target")} ${fmtDuration(p.data.target)}${p.data.met === false ? ` · ${t("overTarget")}` : ""}）`);
        return [`<b>${row.number}</b> ${row.title}`, ...lines].join("<br>");
      },
    },
    xAxis: axis({ type: "value", axisLabel: { color: MUTED, fontSize: 10, formatter: (v) => `${Math.round(v / 60)}′` } }),
    yAxis: axis({ type: "category", data: rows.map((r) => `#${r.number.split("-").pop().replace(/^0+/, "")} ${r.title.slice(0, 7)}`),
      axisLabel: { color: INK, fontSize: 11 } }),
    series,
  };
}

export function unitsOption(data) {
  const rows = data.by_status;
  return {
    ...base(),
    tooltip: { ...base().tooltip, trigger: "item", formatter: "{b}：{c}（{d}%）" },
    title: { text: fmtInt(data.total), subtext: t("unitsTotal"), left: "34%", top: "36%", textAlign: "center",
      textStyle: { color: "#fff", fontSize: 24, fontFamily: "DejaVu Sans Mono, monospace" }, subtextStyle: { color: MUTED, fontSize: 11 } },
    legend: { orient: "vertical", right: 6, top: "middle", textStyle: { color: INK, fontSize: 11 }, itemWidth: 10, itemHeight: 10,
      formatter: (name) => `${name}  ${rows.find((r) => r.label === name)?.count ?? 0}` },
    series: [{
      type: "pie", radius: ["48%", "72%"], center: ["35%", "50%"], avoidLabelOverlap: true, stillShowZeroSum: false,
      itemStyle: { borderColor: "#061226", borderWidth: 2 },
      label: { show: false },
      data: rows.map((r) => ({ name: r.label, value: r.count, itemStyle: { color: label("unitStatusColour", r.key) } })),
    }],
  };
}

/** Stock on hand as a percentage of the reserve minimum (100 when no minimum). */
const ratio = (r) => (r.minimum ? (100 * r.quantity) / r.minimum : 100);

/** Stock of each item as a share of its minimum level (100 % = the minimum). */
export function suppliesOption(data) {
  const rows = [...data.items].sort((a, b) => ratio(a) - ratio(b));
  return {
    ...base(),
    grid: { left: 64, right: 56, top: 8, bottom: 22 },
    tooltip: { ...base().tooltip, trigger: "axis", axisPointer: { type: "shadow" },
      formatter: (params) => {
        const r = rows[params[0].dataIndex];
        return `<b>${r.name}</b><br>${t("stock")}：${fmtInt(r.quantity)} ${r.unit_of_measure}<br>${t("minimum")}：${fmtInt(r.minimum)} ${r.unit_of_measure}`
          + (r.depots_below ? `<br>${t("depotsBelow", { n: r.depots_below })}` : "");
      } },
    xAxis: axis({ type: "value", max: (v) => Math.max(200, Math.ceil(v.max / 50) * 50), axisLabel: { color: MUTED, fontSize: 10, formatter: "{value}%" } }),
    yAxis: axis({ type: "category", data: rows.map((r) => r.name), axisLabel: { color: INK, fontSize: 11 } }),
    series: [{
      type: "bar", barWidth: 10,
      data: rows.map((r) => ({
        value: Math.round(ratio(r)),
        itemStyle: { color: r.quantity < r.minimum ? "#ff4d4f" : r.depots_below ? "#ffb020" : "#2ecc71", borderRadius: [0, 3, 3, 0] },
      })),
      label: { show: true, position: "right", color: INK, fontSize: 10,
        formatter: (p) => `${fmtInt(rows[p.dataIndex].quantity)}${rows[p.dataIndex].unit_of_measure}` },
      markLine: { symbol: "none", silent: true, lineStyle: { color: "#ffd21f", type: "dashed" },
        label: { color: "#ffd21f", formatter: t("minimumLine"), fontSize: 10, position: "end" }, data: [{ xAxis: 100 }] },
    }],
  };
}


export function platesOption(data, { limit = 10 } = {}) {
  const rows = data.communities.filter((r) => r.level === "community")
    .sort((a, b) => (b.scans + b.reports * 10) - (a.scans + a.reports * 10)).slice(0, limit);
  return {
    ...base(),
    legend: { top: 0, right: 8, textStyle: { color: MUTED, fontSize: 11 }, itemWidth: 12, itemHeight: 8 },
    grid: { left: 36, right: 36, top: 26, bottom: 50 },
    tooltip: { ...base().tooltip, trigger: "axis" },
    xAxis: axis({ type: "category", data: rows.map((r) => r.name.replace(/社区$/, "")),
      axisLabel: { color: INK, fontSize: 10, rotate: 35, interval: 0 } }),
    yAxis: [axis({ type: "value", minInterval: 1, name: t("scans"), nameTextStyle: { color: MUTED, fontSize: 10 } }),
      axis({ type: "value", minInterval: 1, name: t("reports"), nameTextStyle: { color: MUTED, fontSize: 10 }, splitLine: { show: false } })],
    series: [
      { type: "bar", name: t("scans"), data: rows.map((r) => r.scans), barWidth: 9,
        itemStyle: { color: "#36c5f0", borderRadius: [2, 2, 0, 0] } },
      { type: "bar", name: t("reports"), yAxisIndex: 1, data: rows.map((r) => r.reports), barWidth: 9,
        itemStyle: { color: "#ff8a1f", borderRadius: [2, 2, 0, 0] } },
      { type: "line", name: t("openReports"), yAxisIndex: 1, data: rows.map((r) => r.open_reports), symbol: "diamond",
        symbolSize: 7, lineStyle: { color: "#ff4d4f", width: 1.5 }, itemStyle: { color: "#ff4d4f" } },
    ],
  };
}
