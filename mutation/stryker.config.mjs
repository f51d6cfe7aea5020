// @ts-check
/**
 * Mutation testing of the domain, the memory engine and the realtime hub: `npm run test:mutation`.
 * Every mutant runs against the tests that cover it (mutation/vitest.mutation.config.ts: the fast suites only);
 * the TypeScript checker first throws out the mutants that would not compile. The report lands in
 * reports/mutation/ (ignored).
 *
 * Message text is not mutated: a mutant that only changes what an error says is not a missing test.
 * `messageStrings` below ignores exactly the string and template literals that form an error's or a
 * zod refinement's message, the names that helpers only put into messages (`text('name', …)`), and
 * zod's `{ message }` options; every other string and object is mutated as usual.
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/** Functions whose first string argument is the message of the error they build. */
const ERROR_FACTORIES = new Set([
  'badInput',
  'invalidTransition',
  'conflict',
  'unavailable',
  'forbidden',
  'unauthenticated',
  'rateLimited',
  'Error',
]);

/**
 * Helpers that take a name used only inside the messages they build, and which argument it is:
 * `text('name', 200)` says "name must not be empty"; `notFound('agent', id)` says `No agent has id`
 * (the id is data, in `details`, and stays mutated).
 */
const MESSAGE_NAME_ARGUMENT = new Map([
  ['text', 0],
  ['optionalText', 0],
  ['notFound', 0],
  ['jsonUpTo', 1],
]);

/** @param {import('@babel/core').NodePath} path */
function isMessagePosition(path) {
  const parent = path.parentPath;
  if (!parent) return false;
  // `{ message: '…' }`, as zod and our own refinements take it.
  if (parent.isObjectProperty() && path.key === 'value') {
    const key = parent.node.key;
    return (key.type === 'Identifier' && key.name === 'message') || false;
  }
  if ((parent.isCallExpression() || parent.isNewExpression()) && path.listKey === 'arguments') {
    const callee = parent.node.callee;
    if (callee.type !== 'Identifier') return false;
    // new DomainError(code, message, details): the second argument.
    if (callee.name === 'DomainError') return path.key === 1;
    if (MESSAGE_NAME_ARGUMENT.has(callee.name)) return path.key === MESSAGE_NAME_ARGUMENT.get(callee.name);
    return ERROR_FACTORIES.has(callee.name) && path.key === 0;
  }
  return false;
}

/**
 * `{ message: '…' }` and nothing else, as zod's checks take it (`.min(1, { message })`): emptying the
 * object only changes what the refusal says.
 * @param {import('@babel/core').NodePath} path
 */
function isMessageOnlyOptions(path) {
  if (!path.isObjectExpression()) return false;
  const properties = path.node.properties;
  return (
    properties.length === 1 &&
    properties[0]?.type === 'ObjectProperty' &&
    properties[0].key.type === 'Identifier' &&
    properties[0].key.name === 'message'
  );
}

/** @param {import('@babel/core').NodePath} path */
function isMessageText(path) {
  if (isMessageOnlyOptions(path)) return true;
  if (!path.isStringLiteral() && !path.isTemplateLiteral()) return false;
  // Climb through the concatenations and conditionals a long message is built from.
  let at = path;
  while (
    at.parentPath &&
    ((at.parentPath.isBinaryExpression() && at.parentPath.node.operator === '+') ||
      at.parentPath.isTemplateLiteral() ||
      at.parentPath.isConditionalExpression())
  ) {
    at = at.parentPath;
  }
  return isMessagePosition(at);
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'messageStrings', {
    /** @param {import('@babel/core').NodePath} path */
    shouldIgnore: (path) =>
      isMessageText(path) ? 'Message text: what an error says, not a rule.' : undefined,
  }),
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  packageManager: 'npm',
  plugins: [
    '@stryker-mutator/vitest-runner',
    '@stryker-mutator/typescript-checker',
    './mutation/stryker.config.mjs',
  ],
  ignorers: ['messageStrings'],
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.mutation.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: ['src/domain/**/*.ts', 'src/engines/memory/**/*.ts', 'src/realtime/**/*.ts'],
  // The machine is shared: two test processes at most.
  concurrency: 2,
  // A clean run of the suites takes about a second: a mutant still running after this loops.
  timeoutMS: 3_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // `npm run test:mutation -- --incremental` re-runs only the mutants whose code or tests changed.
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
export default config;
