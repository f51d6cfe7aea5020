/**
 * What one operation may cost while it runs, on every transport (the hooks are envelop's execute and
 * subscribe, which HTTP, SSE and graphql-ws all go through):
 *
 * - **Bytes**: a query or mutation result holds at most RESPONSE_MAX_BYTES. Every field's resolver is
 *   wrapped once to charge the bytes it adds (its key, and its value for a leaf: a JSON value as
 *   serialized, a string by its length) to the operation's budget; past it, every resolver still to
 *   run fails at once, so that no more of the result is built, and the result is replaced by one
 *   error naming the limit. The result never holds more than the bound plus one field.
 * - **Concurrency**: an operation costing EXPENSIVE_COST or more runs only while its caller has fewer
 *   than EXPENSIVE_MAX_PER_CALLER and the instance fewer than EXPENSIVE_MAX_TOTAL of them running
 *   or, over HTTP, still being written; parallel copies of one allowed query cannot stack up.
 * - **Cost budget**: each token subject has COST_BURST points per window of COST_BURST / COST_RATE_PER_S
 *   seconds, held in the engine (one budget for the cluster on Redis); each query, mutation and
 *   subscribe spends its cost, priced with its variables. What is left is in `extensions.cost` as
 *   `{ requested, remaining, resetAt }` (Shopify's shape), and over it the operation is RATE_LIMITED.
 *   `renewSession` alone spends nothing: a socket at every limit can still renew its token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  defaultFieldResolver,
  getNamedType,
  getOperationAST,
  GraphQLError,
  isLeafType,
  isObjectType,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RateDecision, RateLimiter } from '../domain/ports.js';
import type { ColonyContext } from '../schema/context.js';
import { requestCost, type CostModel } from '../schema/cost-limit.js';
import { callerKey } from './mutation-limit.js';
import { isRenewalOnly } from './limits-renewal.js';
import { clientError } from '../schema/errors.js';

/** One operation's byte budget, carried in its context. */
export class ResponseBudget {
  used = 0;
  private failure: GraphQLError | null = null;

  constructor(readonly maxBytes: number) {}

  get exceeded(): GraphQLError | null {
    return this.failure;
  }

  charge(bytes: number): void {
    this.used += bytes;
    if (this.used <= this.maxBytes || this.failure) return;
    this.failure = clientError(
      'BAD_USER_INPUT',
      `The response would be larger than ${this.maxBytes} bytes (RESPONSE_MAX_BYTES): ask for fewer items or fewer fields, and page with \`first\`/\`after\`.`,
      { reason: 'RESPONSE_TOO_LARGE', limit: this.maxBytes, setting: 'RESPONSE_MAX_BYTES' },
    );
  }
}

const BUDGET = 'responseBudget';
type Budgeted = { [BUDGET]?: ResponseBudget };

/** The bytes a leaf value adds to the JSON of a result (close enough: quotes, escapes aside). */
function leafBytes(value: unknown): number {
  if (value === null || value === undefined) return 4;
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number' || typeof value === 'boolean') return 8;
  if (value instanceof Date) return 26;
  return JSON.stringify(value)?.length ?? 4;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

const wrapped = new WeakSet<GraphQLSchema>();

/**
 * Wraps every field resolver of `schema` (once; the schema is shared) so that an operation whose
 * context carries a ResponseBudget is charged as its result is built. Without one (a subscription's
 * events, executed by the hub) a resolver runs as before, at the cost of one property read.
 */
export function chargeResponseBytes(schema: GraphQLSchema): GraphQLSchema {
  if (wrapped.has(schema)) return schema;
  wrapped.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      const leaf = isLeafType(getNamedType(field.type));
      field.resolve = (source, args, context: Budgeted | undefined, info: GraphQLResolveInfo) => {
        const budget = context?.[BUDGET];
        if (!budget) return resolve(source, args, context, info);
        const refused = budget.exceeded;
        if (refused) throw refused;
        // The key and its punctuation (an alias is the key when there is one).
        const key = (info.fieldNodes[0]?.alias?.value ?? info.fieldName).length + 4;
        const value = resolve(source, args, context, info);
        const charge = (resolved: unknown) => {
          budget.charge(
            key + (leaf ? leafBytes(resolved) : Array.isArray(resolved) ? resolved.length + 2 : 2),
          );
          const failure = budget.exceeded;
          if (failure) throw failure;
          return resolved;
        };
        return isPromiseLike(value) ? Promise.resolve(value).then(charge) : charge(value);
      };
    }
  }
  return schema;
}

/** How many expensive operations run, per caller and in all. */
export class ExpensiveGate {
  private total = 0;
  private readonly byCaller = new Map<string, number>();

  constructor(
    private readonly maxPerCaller: number,
    private readonly maxTotal: number,
  ) {}

  /** A release function, or null when the caller or the instance is at its bound. */
  enter(caller: string): (() => void) | null {
    const mine = this.byCaller.get(caller) ?? 0;
    if (mine >= this.maxPerCaller || this.total >= this.maxTotal) return null;
    this.byCaller.set(caller, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.byCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.byCaller.set(caller, left);
      else this.byCaller.delete(caller);
    };
  }

  get running(): number {
    return this.total;
  }
}

export interface ExecutionLimits {
  model: CostModel;
  responseMaxBytes: number;
  expensiveCost: number;
  gate: ExpensiveGate;
  /** Cost points per caller (null: no budget). */
  costLimiter: RateLimiter | null;
  /** Called when a limit refuses an operation (for a metric). */
  onRefused?: (limit: string) => void;
}

type RequestContext = Partial<ColonyContext> & { req?: IncomingMessage };

function overHttp(context: RequestContext): boolean {
  return !context.connection || context.connection.transport !== 'ws';
}

function rateLimited(
  message: string,
  reason: string,
  retryAfterMs: number,
  context: RequestContext,
  extra: Record<string, unknown> = {},
): GraphQLError {
  const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return clientError(
    'RATE_LIMITED',
    message,
    { reason, retryAfterMs, ...extra },
    // Yoga turns this into the HTTP status and header, and strips it from the body.
    overHttp(context) ? { http: { status: 429, headers: { 'retry-after': String(retryAfterS) } } } : {},
  );
}

/** `extensions.cost` of an operation that spent `requested` points. */
function costReport(requested: number, decision: RateDecision | null, now = Date.now()) {
  return {
    requested,
    remaining: decision?.remaining ?? null,
    resetAt:
      decision?.resetAfterMs === undefined ? null : new Date(now + decision.resetAfterMs).toISOString(),
  };
}

interface Admitted {
  release: () => void;
  cost: ReturnType<typeof costReport>;
}

/**
 * Prices the operation with its variables, lets it in past the expensive gate and spends its cost;
 * or answers why not.
 */
async function admit(
  limits: ExecutionLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  context: RequestContext,
): Promise<Admitted | GraphQLError> {
  const operation = getOperationAST(document, operationName);
  if (!operation || isRenewalOnly(operation)) return { release: () => {}, cost: costReport(0, null) };
  const cost = requestCost(schema, document, operationName, limits.model, variables);
  const caller = callerKey(context);
  let release = () => {};
  if (cost >= limits.expensiveCost) {
    const entered = limits.gate.enter(caller);
    if (!entered) {
      limits.onRefused?.('expensive_concurrency');
      return rateLimited(
        `Too many expensive operations at once (cost ${cost} ≥ EXPENSIVE_COST): wait for one to finish (EXPENSIVE_MAX_PER_CALLER, EXPENSIVE_MAX_TOTAL).`,
        'TOO_MANY_EXPENSIVE',
        1000,
        context,
      );
    }
    release = entered;
  }
  let decision: RateDecision | null = null;
  // Per identity: without authentication every client behind one address (a proxy, a benchmark's
  // thousands of sockets) would share one budget, so anonymous callers have none.
  if (limits.costLimiter && cost > 0 && context.identity) {
    decision = await limits.costLimiter.take(`cost:${caller}`, cost);
    if (!decision.allowed) {
      release();
      limits.onRefused?.('cost_budget');
      const retryAfterS = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      return rateLimited(
        `This operation costs ${cost} points and the budget is spent: try again in ${retryAfterS} s (COST_RATE_PER_S, COST_BURST).`,
        'COST_BUDGET',
        decision.retryAfterMs,
        context,
        { cost: costReport(cost, decision) },
      );
    }
  }
  return { release, cost: costReport(cost, decision) };
}

function withCost(result: ExecutionResult, cost: Admitted['cost']): ExecutionResult {
  return { ...result, extensions: { ...result.extensions, cost } };
}

export function useExecutionLimits(limits: ExecutionLimits): Plugin {
  return {
    async onExecute({ args, extendContext, setResultAndStopExecution }) {
      const context = args.contextValue as RequestContext;
      const admitted = await admit(
        limits,
        args.schema,
        args.document,
        args.operationName,
        args.variableValues,
        context,
      );
      if (admitted instanceof GraphQLError) {
        setResultAndStopExecution({ errors: [admitted] });
        return;
      }
      // An HTTP answer holds its slot until it is written (or the client is gone): what an
      // expensive operation costs in memory is its serialized answer waiting for a slow reader too.
      const res = (context as { res?: ServerResponse }).res;
      if (res) {
        if (res.closed) admitted.release();
        else res.once('close', admitted.release);
      }
      const budget = new ResponseBudget(limits.responseMaxBytes);
      extendContext({ [BUDGET]: budget } as never);
      return {
        onExecuteDone({ result, setResult }) {
          if (!res) admitted.release();
          if (Symbol.asyncIterator in result) return;
          const failure = budget.exceeded;
          if (failure) {
            limits.onRefused?.('response_bytes');
            // The partial result, and its errors, go now: one error in their place.
            setResult(withCost({ errors: [failure] }, admitted.cost));
            return;
          }
          setResult(withCost(result, admitted.cost));
        },
      };
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as RequestContext;
      const admitted = await admit(
        limits,
        args.schema,
        args.document,
        args.operationName,
        args.variableValues,
        context,
      );
      if (admitted instanceof GraphQLError) {
        setResultAndStopExecution({ errors: [admitted] });
        return;
      }
      // Subscribing is paid for once; the stream itself is bounded by the hub's queue.
      admitted.release();
    },
  };
}
