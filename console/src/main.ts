import './style.css'
import { createApp } from 'vue'
import App from './App.vue'
import { whenUnauthenticated } from './lib/graphql'
import { session } from './lib/viewer'
import { router } from './router'

whenUnauthenticated((message) => {
  // The cookie lives as long as the token, so an expired session usually arrives with no token at all.
  const expiresAt = session.viewer?.expiresAt
  const expired = /expired/.test(message) || (!!expiresAt && new Date(expiresAt) <= new Date())
  const signedIn = session.viewer !== null // if not, the router's guard is already on its way to sign-in
  session.viewer = null
  if (signedIn || !session.notice) session.notice = expired ? '登录已过期，请使用新的令牌重新登录。' : '请先登录。'
  if (signedIn && router.currentRoute.value.name !== 'sign-in') {
    void router.push({ name: 'sign-in', query: { next: router.currentRoute.value.fullPath } })
  }
})

createApp(App).use(router).mount('#app')
