/**
 * What one GraphQL document may cost, as envelop plugins. They hook parse and validate, so they hold
 * on every transport alike: HTTP and SSE through Yoga, and graphql-ws, which parses and validates
 * through `yoga.getEnveloped(...)` (see ws-server.ts).
 *
 * The counting is graphql-armor's (tokens while parsing, so a huge document is refused cheaply;
 * depth, aliases and directives through named fragments too); the cost is our rule (cost-limit.ts),
 * because armor's does not price `first` given as a variable. Every refusal is a BAD_USER_INPUT
 * whose message names the limit and the setting that sets it.
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { GraphQLError } from 'graphql';
import { NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config.js';
import { AGENT_STATUSES, TASK_STATUSES } from '../domain/model.js';
import { LIMITS } from '../domain/validation.js';
import { DEFAULT_PAGE_SIZE, MAX_LISTED_CONNECTIONS } from '../schema/paging.js';
import { costLimitRule, type CostModel } from '../schema/cost-limit.js';
import { clientError, withoutSuggestions } from '../schema/errors.js';

/**
 * How Colony's fields are priced (cost-limit.ts): a point per KiB a field may hold, pages as served,
 * and the two plain lists at the cap their resolvers apply.
 */
export const COST_MODEL: CostModel = {
  defaultListSize: DEFAULT_PAGE_SIZE,
  maxListSize: LIMITS.pageSize,
  listBounds: {
    'Election.candidates': LIMITS.listed,
    'Proposal.votes': LIMITS.listed,
    // One entry per status.
    'FleetStats.agentsByStatus': AGENT_STATUSES.length,
    'FleetStats.tasksByStatus': TASK_STATUSES.length,
    'AgentPresence.connections': MAX_LISTED_CONNECTIONS,
  },
  // Lists of objects nothing caps (`RealtimeStats.rooms`, admin only) are priced as a full page.
  unboundedListSize: LIMITS.pageSize,
  fieldBytes: {
    'Agent.metadata': LIMITS.metadataBytes,
    'Agent.capabilities': LIMITS.capabilities * LIMITS.capability,
    'Task.input': LIMITS.taskInputBytes,
    'Task.result': LIMITS.taskResultBytes,
    'Task.error': LIMITS.taskError,
    'Task.requiredCapabilities': LIMITS.capabilities * LIMITS.capability,
    'Proposal.value': LIMITS.proposalValueBytes,
    'Alert.details': LIMITS.alertDetailsBytes,
    'Alert.message': LIMITS.alertMessage,
    'CustomEventPayload.data': LIMITS.broadcastBytes,
    'HealthEventPayload.checks': 1024,
  },
  defaultJsonBytes: LIMITS.broadcastBytes,
  bytesPerPoint: 1024,
};

/** A refusal that names the limit (from armor's message, without its misleading "Syntax Error:"). */
function limitError(message: string, reason: string, setting: string, limit: number): GraphQLError {
  return clientError(
    'BAD_USER_INPUT',
    `${message.replace(/^Syntax Error: /, '').replace(/\.$/, '')} (${setting}).`,
    { reason, limit, setting },
  );
}

const reportAs =
  (reason: string, setting: string, limit: number): GraphQLArmorRejectCallback =>
  (context, error) =>
    (context as ValidationContext).reportError(limitError(error.message, reason, setting, limit));

/** A document nested so deep that parsing or validating it overflows the stack is bad input. */
const tooDeep = () =>
  clientError('BAD_USER_INPUT', 'The document is nested too deeply to be processed.', { reason: 'TOO_DEEP' });

const usePlainStackGuard = (): Plugin => ({
  onParse() {
    return ({ result, replaceParseResult }) => {
      if (result instanceof RangeError) replaceParseResult(tooDeep());
    };
  },
  onValidate({ validateFn, setValidationFn }) {
    setValidationFn((...args) => {
      try {
        return validateFn(...args);
      } catch (error) {
        if (error instanceof RangeError) return [tooDeep()];
        throw error;
      }
    });
  },
});

/** Tokens, depth, aliases, directives and cost, as configured. */
export function costControls(limits: Limits): Plugin[] {
  const armor = { exposeLimits: true, propagateOnRejection: false } as const;
  return [
    maxTokensPlugin({
      n: limits.maxTokens,
      exposeLimits: true,
      // Thrown from inside the lexer: parsing stops at the first token past the limit.
      onReject: [
        (_, error) => {
          throw limitError(error.message, 'MAX_TOKENS', 'GRAPHQL_MAX_TOKENS', limits.maxTokens);
        },
      ],
    }) as Plugin,
    {
      onValidate({ addValidationRule }) {
        addValidationRule(
          maxDepthRule({
            ...armor,
            n: limits.maxDepth,
            // Depth in fields, whether written inline or through fragments (a spread is not a level).
            flattenFragments: true,
            onReject: [reportAs('MAX_DEPTH', 'GRAPHQL_MAX_DEPTH', limits.maxDepth)],
          }),
        );
        addValidationRule(
          maxAliasesRule({
            ...armor,
            n: limits.maxAliases,
            onReject: [reportAs('MAX_ALIASES', 'GRAPHQL_MAX_ALIASES', limits.maxAliases)],
          }),
        );
        addValidationRule(
          maxDirectivesRule({
            ...armor,
            n: limits.maxDirectives,
            onReject: [reportAs('MAX_DIRECTIVES', 'GRAPHQL_MAX_DIRECTIVES', limits.maxDirectives)],
          }),
        );
        addValidationRule(
          costLimitRule({
            ...COST_MODEL,
            maxCost: limits.maxCost,
            setting: 'GRAPHQL_MAX_COST',
          }),
        );
      },
    },
    // Last, so that it wraps the validation every plugin before it set up.
    usePlainStackGuard(),
  ];
}

/** Production: no introspection and no suggestions, on every transport (they hook validation). */
export function productionHardening(): Plugin[] {
  return [
    {
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
        return ({ result, setResult }) => setResult(result.map(withoutSuggestions));
      },
    },
  ];
}
