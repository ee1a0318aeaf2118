import { createRouter, createWebHistory } from 'vue-router'
import { loadViewer, session } from './lib/viewer'

// Pages load when first opened, so the case view never waits for the charting library.
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', redirect: { name: 'cases' } },
    { path: '/login', name: 'sign-in', component: () => import('./pages/SignIn.vue'), meta: { public: true } },
    { path: '/lookup', name: 'lookup', component: () => import('./pages/PersonLookup.vue'), meta: { title: '当事人查询' } },
    { path: '/cases', name: 'cases', component: () => import('./pages/CaseSearch.vue'), meta: { title: '案件检索' } },
    { path: '/cases/:caseNo', name: 'case', component: () => import('./pages/CaseView.vue'), props: true, meta: { title: '案件全景' } },
    { path: '/analysis', name: 'analysis', component: () => import('./pages/Analysis.vue'), meta: { title: '分析研判' } },
    { path: '/meetings', name: 'meetings', component: () => import('./pages/Meetings.vue'), meta: { title: '联席会议' } },
    { path: '/meetings/:id', name: 'meeting', component: () => import('./pages/MeetingView.vue'), props: true, meta: { title: '联席会议' } },
    { path: '/handovers', name: 'handovers', component: () => import('./pages/Handovers.vue'), meta: { title: '移交待办' } },
    { path: '/campaigns', name: 'campaigns', component: () => import('./pages/Campaigns.vue'), meta: { title: '攻坚清仓' } },
    { path: '/notices', name: 'notices', component: () => import('./pages/Notices.vue'), meta: { title: '督查通报' } },
    { path: '/screening', name: 'screening', component: () => import('./pages/Screening.vue'), meta: { title: '排查登记' } },
    { path: '/:rest(.*)*', redirect: { name: 'cases' } },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  // Fetch the page's code while the hub says who is signed in, not after.
  for (const record of to.matched) {
    const component = record.components?.default
    if (typeof component === 'function') void (component as () => Promise<unknown>)()
  }
  if (!session.viewer && !(await loadViewer())) {
    return { name: 'sign-in', query: { next: to.fullPath } }
  }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} — 大调解信息平台` : '大调解信息平台'
})
