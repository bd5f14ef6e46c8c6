// The charts' shared look (recharts props), so every chart on every screen matches.
export const AXIS = { stroke: '#8a96a3', fontSize: 11 };
export const GRID = { stroke: '#26303a', strokeDasharray: '3 3' };
export const TOOLTIP = { background: '#151b21', border: '1px solid #2b3540' };
export const CHART_MARGIN = { top: 8, right: 16, bottom: 0, left: 0 };
/**
 * Good vs defect: Okabe–Ito sky blue and orange, told apart with every common colour blindness (green and red are not,
 * for one man in twelve). The threshold mark is white, so it cannot be taken for either.
 */
export const GOOD_COLOR = '#56b4e9';
export const DEFECT_COLOR = '#e69f00';
export const MARK_COLOR = '#e6edf3';
