import type { ElectionsApi } from '../api.js';
import { byLoadThenAge } from '../agents/agent-rules.js';
import { conflict } from '../errors.js';
import { rooms } from '../events/rooms.js';
import { newId } from '../ids.js';
import type { Agent, Coordination, Election, Page, PageRequest } from '../model.js';
import type { Store } from '../ports.js';
import type { Tx, TransactionRunner } from '../transaction.js';
import { LIMITS, optionalText, pageSchema, parseInput } from '../validation.js';
import { toPage } from '../paging.js';
import { liveOnly } from '../liveness/leases.js';

const FLEET = 'fleet';

/**
 * The fleet-wide coordination record, as this transaction sees it (a fresh one before the first use).
 * It is read through `tx`, so `tx.put` may write it either way: a record read as absent is written at
 * version 1, and the commit fails if another request created it meanwhile.
 */
export async function readCoordination(tx: Tx): Promise<Coordination> {
  return (
    (await tx.get('coordination', FLEET)) ?? {
      id: FLEET,
      term: 0,
      leaderId: null,
      electionId: null,
      metricsPublishedAt: null,
    }
  );
}

/**
 * Opens term N+1 among the ACTIVE agents (less `excluded`, which is leaving) and elects the one with
 * the fewest active tasks, then the oldest: ELECTION_TRIGGERED, then LEADER_ELECTED. Returns null,
 * having staged nothing, when there is no candidate: no term is consumed.
 * Runs inside the caller's transaction, so a failover happens once with the change that caused it.
 */
export async function runElection(
  tx: Tx,
  now: string,
  reason: string | null,
  excludedId?: string,
): Promise<Election | null> {
  // Only live agents may lead: one whose lease ran out is about to be taken for dead.
  const listed = await liveOnly(tx, await tx.list('agent', { where: { status: 'ACTIVE' }, limit: 100_000 }));
  // The leaving leader is still ACTIVE in the store: this transaction only staged its change.
  const candidates = listed
    .map((record) => record.doc)
    .filter((a) => a.id !== excludedId)
    .sort(byLoadThenAge)
    // The leader and the runners-up after it: a fleet of thousands does not make each term hold
    // thousands of agent copies (and their metadata) in the store, the log and every answer.
    .slice(0, LIMITS.listed);
  const leader = candidates[0];
  if (!leader) return null;
  // The candidates (with their loads) are recorded and weighed: guard each of them. The list
  // itself guards who is ACTIVE.
  for (const record of listed) tx.guard('agent', record);

  const coordination = await readCoordination(tx);
  const opened: Election = {
    id: newId(),
    term: coordination.term + 1,
    reason,
    leaderId: null,
    candidates,
    startedAt: now,
    decidedAt: null,
  };
  const decided: Election = { ...opened, leaderId: leader.id, decidedAt: now };
  tx.create('election', decided);
  tx.put('coordination', {
    ...coordination,
    term: decided.term,
    leaderId: leader.id,
    electionId: decided.id,
  });
  tx.emit({
    type: 'ELECTION_TRIGGERED',
    rooms: [rooms.coordination],
    payload: { kind: 'election', election: opened },
  });
  tx.emit({
    type: 'LEADER_ELECTED',
    rooms: [rooms.coordination],
    payload: { kind: 'election', election: decided },
  });
  return decided;
}

/**
 * When `agent` (the leader) stops being ACTIVE, elects a successor in the same transaction, or clears
 * the leadership when nobody is left (without consuming a term).
 */
export async function failoverIfLeader(tx: Tx, now: string, agent: Agent, why: string): Promise<void> {
  const stored = await tx.get('coordination', FLEET);
  if (!stored || stored.leaderId !== agent.id) return;
  const election = await runElection(tx, now, `leader ${agent.name} (${agent.id}) ${why}`, agent.id);
  if (!election) tx.put('coordination', { ...stored, leaderId: null });
}

export class ElectionService implements ElectionsApi {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly store: Store,
  ) {}

  async leader(): Promise<Agent | null> {
    const coordination = await this.store.get('coordination', FLEET);
    const leaderId = coordination?.doc.leaderId;
    return leaderId ? ((await this.store.get('agent', leaderId))?.doc ?? null) : null;
  }

  async list(page: PageRequest): Promise<Page<Election>> {
    const p = parseInput(pageSchema, page);
    return toPage(await this.store.list('election', { after: p.after, limit: p.first + 1 }), p);
  }

  async trigger(reason?: string | null): Promise<Election> {
    const why = parseInput(optionalText('reason', LIMITS.text), reason) ?? null;
    const { value } = await this.runner.run(async (tx) => {
      const election = await runElection(tx, this.runner.clock.now().toISOString(), why);
      if (!election) {
        throw conflict('No agent is ACTIVE, so no leader can be elected. Start or resume an agent first.', {
          reason: 'NO_CANDIDATE',
        });
      }
      return election;
    });
    return value;
  }
}
