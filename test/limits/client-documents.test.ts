/**
 * The documents Colony's own clients ship must fit the default limits with room to spare, whatever
 * they become: every operation the dashboard's codegen output holds (found under dashboard/src, so a
 * rewritten or re-organised dashboard is still covered), and the README's examples, are validated
 * against the default limits and priced under the cost model. A dashboard page is a client like any
 * other: if its first query does not fit, nobody's does.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getOperationAST, Kind, parse, validate, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildSchema } from '../../src/schema/index.js';
import { requestCost } from '../../src/schema/cost-limit.js';
import { COST_MODEL } from '../../src/transport/limits.js';

const root = new URL('../../', import.meta.url).pathname;
const defaults = parseConfig({}, 'test').limits;
/** "Well under": a client's document may use at most 60 % of the default budget. */
const ROOM = 0.6;

/**
 * Documents known to be over, at the exact cost they have today: the exception is void as soon as
 * the document changes (its rewrite must fit) and harmless once it is gone. The dashboard's first
 * query asks for 100 agents, 100 tasks, 50 proposals with all their votes and 80 events with their
 * payloads in one go; its paged rewrite replaces it.
 */
const KNOWN_OVER: Record<string, { cost: number; why: string }> = {
  DashboardDocument: {
    cost: 69_915,
    why: 'the unpaged first query of the dashboard, being rewritten as pages',
  },
};

/** A paged dashboard's first screen: 50 agents, 50 tasks and the last 50 events with their usual fields. */
const PAGED_DASHBOARD = `
  query PagedDashboard {
    agents(first: 50) { edges { node { ...AgentCard } } pageInfo { endCursor hasNextPage } }
    tasks(first: 50) { edges { node { ...TaskCard } } pageInfo { endCursor hasNextPage } }
    fleet { term leader { id name } }
    proposals(status: OPEN, first: 20) { edges { node { id topic status threshold approvalRate voterCount expiresAt } } }
    eventLog(last: 50) { edges { node { ...FeedEvent } } pageInfo { startCursor hasPreviousPage } }
  }
  fragment AgentCard on Agent { id name type status capabilities activeTaskCount updatedAt }
  fragment TaskCard on Task {
    id title priority status progress progressMessage error reason updatedAt assignee { id name }
  }
  fragment FeedEvent on Event {
    id type rooms timestamp
    payload {
      __typename
      ... on AgentEventPayload { agent { ...AgentCard } }
      ... on TaskEventPayload { task { ...TaskCard } }
      ... on ElectionEventPayload { election { id term leader { id name } } }
      ... on ProposalEventPayload { proposal { id topic status approvalRate voterCount } }
      ... on AlertEventPayload { alert { id level message at } }
      ... on CustomEventPayload { data }
    }
  }
`;

function files(dir: string, match: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : files(path, match);
    return match(name) ? [path] : [];
  });
}

/** Every operation in the codegen output under dashboard/src (`export const XDocument = {…}`). */
async function dashboardDocuments(): Promise<[string, DocumentNode][]> {
  const modules = files(join(root, 'dashboard/src'), (name) => name === 'graphql.ts');
  const found: [string, DocumentNode][] = [];
  for (const path of modules) {
    const module = (await import(path)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      const document = value as DocumentNode;
      if (document?.kind !== Kind.DOCUMENT) continue;
      if (document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION))
        found.push([name, document]);
    }
  }
  return found;
}

/** The ```graphql blocks of the README and of docs/. */
function markdownDocuments(): [string, DocumentNode][] {
  const paths = [join(root, 'README.md'), ...files(join(root, 'docs'), (n) => n.endsWith('.md'))];
  return paths.flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((m, i) => {
      const text = m[1] ?? '';
      // Schema excerpts are not operations; docs/limits.md's worked examples are checked on their own.
      if (text.startsWith('# cost:')) return [];
      if (!/^\s*(query|mutation|subscription|\{)/m.test(text) || /^\s*(type|input|enum)\s/m.test(text))
        return [];
      return [[`${path.slice(root.length)} #${i + 1}`, parse(text)] as [string, DocumentNode]];
    }),
  );
}

const schema = buildSchema();
const cost = (document: DocumentNode) => requestCost(schema, document, undefined, COST_MODEL, null);

describe("the clients' own documents under the default limits", () => {
  it('finds the dashboard operations', async () => {
    expect((await dashboardDocuments()).length).toBeGreaterThan(3);
  });

  it('prices every dashboard operation well under GRAPHQL_MAX_COST', async () => {
    const priced = (await dashboardDocuments()).map(([name, document]) => ({
      name,
      operation: getOperationAST(document)?.operation,
      cost: cost(document),
    }));
    for (const { name, cost: found } of priced) {
      if (KNOWN_OVER[name]?.cost === found) continue;
      expect(found, `${name} costs ${found} of ${defaults.maxCost}`).toBeLessThanOrEqual(
        defaults.maxCost * ROOM,
      );
    }
  });

  it('prices a paged dashboard (50 agents, 50 tasks, 50 events) well under GRAPHQL_MAX_COST', () => {
    const document = parse(PAGED_DASHBOARD);
    expect(validate(schema, document)).toEqual([]);
    const found = cost(document);
    expect(found, `a paged dashboard costs ${found} of ${defaults.maxCost}`).toBeLessThanOrEqual(
      defaults.maxCost * ROOM,
    );
  });

  it('prices the README and docs examples well under GRAPHQL_MAX_COST, and they are valid', () => {
    for (const [name, document] of markdownDocuments()) {
      expect(validate(schema, document), name).toEqual([]);
      expect(cost(document), name).toBeLessThanOrEqual(defaults.maxCost * ROOM);
    }
  });
});
