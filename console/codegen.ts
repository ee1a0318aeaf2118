import type { CodegenConfig } from '@graphql-codegen/cli'

// The console's operations are typed against the hub's checked-in schema: a schema change that
// breaks a page fails the console's build.
const config: CodegenConfig = {
  schema: '../schema/schema.graphql',
  documents: 'src/graphql/*.graphql',
  generates: {
    'src/graphql/generated.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', Date: 'string', JSON: 'unknown' },
      },
    },
  },
}
export default config
