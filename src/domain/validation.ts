/**
 * The limits on every input, declared once with zod. The services parse with them before they read
 * or write anything, and the schema layer hands the same schemas to Pothos' validation plugin, so a
 * bad argument is refused with the same message on every path.
 */
import { z } from 'zod';
import { badInput } from './errors.js';
import { ROOM_NAME } from './events/rooms.js';
import { AGENT_STATUSES, ALERT_LEVELS, type Json, PROPOSAL_STATUSES, TASK_STATUSES } from './model.js';

export const LIMITS = {
  agentName: 200,
  agentType: 100,
  capabilities: 50,
  capability: 100,
  metadataBytes: 16 * 1024,
  taskTitle: 200,
  taskInputBytes: 64 * 1024,
  taskResultBytes: 64 * 1024,
  taskError: 2000,
  text: 500,
  alertMessage: 1000,
  alertDetailsBytes: 16 * 1024,
  topic: 200,
  proposalValueBytes: 16 * 1024,
  broadcastBytes: 64 * 1024,
  pageSize: 100,
  /** Candidates an election keeps (the likeliest leaders first), and votes a proposal lists. */
  listed: 100,
  id: 64,
  /** Levels of nesting in any JSON input: `{"a":[1]}` is two. Redis' Lua decoder stops at 1000. */
  jsonDepth: 32,
} as const;

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/**
 * Whether `value` nests objects and arrays more than `max` levels deep. Iterative, and it stops at
 * the first level past `max`, so a value nested thousands deep costs nothing and cannot overflow
 * the stack.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Any JSON value of at most `max` bytes once serialised and at most LIMITS.jsonDepth levels deep:
 * one rule on every engine, checked before anything is written (a value Redis' scripts could not
 * decode would make a record that can never change or go away).
 */
export const jsonUpTo = (max: number, what: string) =>
  z.custom<Json>().superRefine((value, ctx) => {
    if (nestsDeeperThan(value, LIMITS.jsonDepth)) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} must nest at most ${LIMITS.jsonDepth} levels deep`,
      });
      return;
    }
    if (jsonBytes(value) > max)
      ctx.addIssue({ code: 'custom', message: `${what} must be at most ${max / 1024} KiB as JSON` });
  });

const text = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, { message: `${what} must not be empty` })
    .max(max, { message: `${what} must be at most ${max} characters` });

export const idSchema = z.string().min(1, { message: 'id must not be empty' }).max(LIMITS.id);

export const capabilitiesSchema = z
  .array(text('a capability', LIMITS.capability))
  .max(LIMITS.capabilities, { message: `at most ${LIMITS.capabilities} capabilities` })
  .transform((list) => [...new Set(list)]);

export const createAgentInput = z.object({
  name: text('name', LIMITS.agentName),
  type: text('type', LIMITS.agentType),
  capabilities: capabilitiesSchema.nullish(),
  metadata: jsonUpTo(LIMITS.metadataBytes, 'metadata').optional(),
});

export const updateAgentInput = z
  .object({
    name: text('name', LIMITS.agentName).nullish(),
    type: text('type', LIMITS.agentType).nullish(),
    capabilities: capabilitiesSchema.nullish(),
    metadata: jsonUpTo(LIMITS.metadataBytes, 'metadata').optional(),
  })
  // `metadata: null` is a change (it clears it); an absent or undefined field is not.
  .refine(
    (input) =>
      [input.name, input.type, input.capabilities].some((value) => value !== undefined && value !== null) ||
      input.metadata !== undefined,
    { message: 'give at least one field to change' },
  );

export const createTaskInput = z.object({
  title: text('title', LIMITS.taskTitle),
  priority: z
    .number()
    .int({ message: 'priority must be a whole number' })
    .min(0, { message: 'priority must be between 0 and 10' })
    .max(10, { message: 'priority must be between 0 and 10' })
    .nullish(),
  input: jsonUpTo(LIMITS.taskInputBytes, 'input').optional(),
  requiredCapabilities: capabilitiesSchema.nullish(),
});

export const progressSchema = z
  .number()
  // z.number() itself refuses NaN and ±Infinity.
  .refine((n) => n >= 0 && n <= 1, { message: 'progress must be between 0 and 1' });

export const optionalText = (what: string, max: number = LIMITS.text) => text(what, max).nullish();

export const taskErrorSchema = text('error', LIMITS.taskError);
export const taskResultSchema = jsonUpTo(LIMITS.taskResultBytes, 'result').optional();

export const proposeConsensusInput = z.object({
  topic: text('topic', LIMITS.topic),
  value: jsonUpTo(LIMITS.proposalValueBytes, 'value').optional(),
  threshold: z
    .number()
    .refine((n) => n > 0 && n <= 1, { message: 'threshold must be in (0, 1]' })
    .nullish(),
  ttlSeconds: z
    .number()
    .int({ message: 'ttlSeconds must be a whole number' })
    .min(1, { message: 'ttlSeconds must be between 1 and 86400' })
    .max(86_400, { message: 'ttlSeconds must be between 1 and 86400' })
    .nullish(),
});

export const alertLevelSchema = z.enum(ALERT_LEVELS);
export const alertMessageSchema = text('message', LIMITS.alertMessage);
export const alertDetailsSchema = jsonUpTo(LIMITS.alertDetailsBytes, 'details').optional();

export const roomSchema = z.string().regex(ROOM_NAME, {
  message: 'a room name is 1–128 characters of letters, digits and : _ . -',
});
export const broadcastDataSchema = jsonUpTo(LIMITS.broadcastBytes, 'data');

export const agentStatusSchema = z.enum(AGENT_STATUSES);
export const taskStatusSchema = z.enum(TASK_STATUSES);
export const proposalStatusSchema = z.enum(PROPOSAL_STATUSES);

export const pageSchema = z.object({
  first: z
    .number()
    .int()
    .min(1, { message: `first must be between 1 and ${LIMITS.pageSize}` })
    .max(LIMITS.pageSize, { message: `first must be between 1 and ${LIMITS.pageSize}` }),
  after: z.string().max(LIMITS.id).nullish(),
});

/**
 * Parses `value` or throws BAD_USER_INPUT naming every problem (`name: must not be empty; ...`), so
 * that a client can fix all of them in one go.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Messages already name their field ("name must not be empty"); prefix only the nested path.
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    const last = path.at(-1);
    return path.length && !(last && issue.message.startsWith(last))
      ? `${path.join('.')}: ${issue.message}`
      : issue.message;
  });
  throw badInput(problems.join('; '), {
    problems: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

/** The attempt a worker names to fence its reports: a whole number from 1 (see Task.attempt). */
export const attemptSchema = z
  .number({ message: 'attempt must be a whole number of at least 1' })
  .int({ message: 'attempt must be a whole number of at least 1' })
  .min(1, { message: 'attempt must be a whole number of at least 1' })
  .nullish();

/** A lease TTL an agent asks for, within the bounds the deployment allows. */
export const leaseTtlSchema = (min: number, max: number) =>
  z
    .number({ message: `ttlMs must be a whole number from ${min} to ${max}` })
    .int({ message: `ttlMs must be a whole number from ${min} to ${max}` })
    .min(min, { message: `ttlMs must be a whole number from ${min} to ${max}` })
    .max(max, { message: `ttlMs must be a whole number from ${min} to ${max}` })
    .nullish();
