// ECharts, with only the parts the console draws (tree-shaken), rendered as SVG.
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { use, type EChartsCoreOption } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'

use([SVGRenderer, BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent])

export interface Point { name: string; value: number }

const tooltip = { trigger: 'axis' as const }

export function barOption(title: string, points: Point[], unit = '件'): EChartsCoreOption {
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip,
    grid: { left: 48, right: 16, top: 40, bottom: 64 },
    xAxis: { type: 'category', data: points.map((p) => p.name), axisLabel: { rotate: 35, interval: 0, fontSize: 11 } },
    yAxis: { type: 'value', name: unit },
    series: [{ type: 'bar', data: points.map((p) => p.value), itemStyle: { color: '#c0392b' } }],
  }
}

export function lineOption(title: string, months: string[], series: { name: string; values: number[] }[]): EChartsCoreOption {
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip,
    legend: { bottom: 0 },
    grid: { left: 48, right: 16, top: 40, bottom: 56 },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', name: '件' },
    series: series.map((s) => ({ type: 'line', name: s.name, data: s.values, smooth: true })),
  }
}

export function pieOption(title: string, points: Point[]): EChartsCoreOption {
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item', formatter: '{b}: {c} 件 ({d}%)' },
    series: [{ type: 'pie', radius: ['35%', '65%'], top: 24, data: points, label: { fontSize: 11 } }],
  }
}
