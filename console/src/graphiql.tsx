// GraphiQL, bundled with its editor workers and fonts, so /graphql works with nothing but the hub.
import 'graphiql/setup-workers/vite'
import 'graphiql/style.css'
import { createGraphiQLFetcher } from '@graphiql/toolkit'
import { GraphiQL } from 'graphiql'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { CONSOLE_HEADER } from './lib/session'

// Signed in to the console, GraphiQL rides on its session; a token in the headers pane takes precedence.
const fetcher = createGraphiQLFetcher({
  url: new URL('/graphql', window.location.origin).href,
  headers: { [CONSOLE_HEADER]: '1' },
})

const DEFAULT_QUERY = `# 大调解信息平台 GraphQL API
# Put {"Authorization": "Bearer <token>"} in the headers pane, or sign in at /console first.
{
  serverInfo { version storeKind databaseName }
}
`

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
)
