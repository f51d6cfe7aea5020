import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The dashboard's typed documents, generated from Colony's schema with the client preset, as any
 * client app would. Run from this folder (`npm run codegen` at the root does it); committed.
 */
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      config: {
        // DateTime is an RFC 3339 string on the wire; JSON is any JSON value, to be narrowed.
        scalars: { DateTime: 'string', JSON: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
