/**
 * The page: the live stream first, then, once it says where it stands, the queries, so that nothing
 * changes unseen between the two. Counts come from the server and are asked again (a few times a
 * second at most) after changes that move them. Who is live is asked every PRESENCE_EVERY_MS, and
 * after agents change status: a lease that begins, and its renewals, publish no event.
 */
import type { ConnectionState } from '@colony/client';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { useClient, useQuery } from 'urql';
import type { Rights } from '../auth.js';
import {
  DashboardAlerts,
  DashboardCounts,
  DashboardFeed,
  DashboardOverview,
  DashboardPresence,
  DashboardStream,
} from '../documents.js';
import { changesCounts, emptyFleet, fleetReducer } from '../fleet-state.js';
import type { Problems } from '../problems.js';
import { useRun } from '../run.js';
import type { Session } from '../session.js';
import { Agents } from './Agents.js';
import { Alerts } from './Alerts.js';
import { AuthPanel } from './AuthPanel.js';
import { Feed } from './Feed.js';
import { Indicator } from './Indicator.js';
import { LeaderCard } from './LeaderCard.js';
import { ProblemBanner } from './ProblemBanner.js';
import { SkippedNotice } from './SkippedNotice.js';
import { Proposals } from './Proposals.js';
import { Tasks } from './Tasks.js';

const COUNTS_EVERY_MS = 250;
const PRESENCE_EVERY_MS = 5000;

export function Fleet(props: {
  session: Session;
  rights: Rights;
  token: string;
  problems: Problems;
  onToken: (token: string) => void;
  onRenewed: (token: string) => void;
}) {
  const { session, rights, problems } = props;
  const client = useClient();
  const run = useRun();
  const [fleet, dispatch] = useReducer(fleetReducer, emptyFleet);
  const [connection, setConnection] = useState<ConnectionState>(session.colony.state);
  const [ready, setReady] = useState(false);
  const [expiredAt, setExpiredAt] = useState<Date | null>(null);
  const [generation, setGeneration] = useState(0);
  const [skipped, setSkipped] = useState(0);
  // Three small queries rather than one large one: each fits the limits with room to spare.
  const [overview, reexecute] = useQuery({ query: DashboardOverview, pause: !ready });
  const [alerts, reexecuteAlerts] = useQuery({ query: DashboardAlerts, pause: !ready });
  const [feed] = useQuery({ query: DashboardFeed, pause: !ready });

  useEffect(() => session.colony.onState(setConnection), [session]);
  useEffect(
    () =>
      session.colony.onCursorExpired(() => {
        // What happened while the cursor expired is unknown: load every view again; the stream is live.
        setExpiredAt(new Date());
        dispatch({ type: 'reset' });
        setGeneration((n) => n + 1);
        reexecute({ requestPolicy: 'network-only' });
        reexecuteAlerts({ requestPolicy: 'network-only' });
      }),
    [session, reexecute, reexecuteAlerts],
  );

  const countsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refreshCounts = useCallback(() => {
    if (countsTimer.current !== null) return;
    countsTimer.current = setTimeout(() => {
      countsTimer.current = null;
      void client
        .query(DashboardCounts, {})
        .toPromise()
        .then((result) => {
          if (result.data) dispatch({ type: 'counts', fleet: result.data.fleet });
        });
    }, COUNTS_EVERY_MS);
  }, [client]);
  useEffect(() => () => clearTimeout(countsTimer.current ?? undefined), []);

  const presenceTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const askPresence = useCallback(
    () =>
      void client
        .query(DashboardPresence, {}, { requestPolicy: 'network-only' })
        .toPromise()
        .then((result) => {
          if (result.data) dispatch({ type: 'presence', data: result.data });
        }),
    [client],
  );
  const refreshPresence = useCallback(() => {
    if (presenceTimer.current !== null) return;
    presenceTimer.current = setTimeout(() => {
      presenceTimer.current = null;
      askPresence();
    }, COUNTS_EVERY_MS);
  }, [askPresence]);
  useEffect(() => () => clearTimeout(presenceTimer.current ?? undefined), []);
  useEffect(() => {
    if (!ready) return;
    askPresence();
    const timer = setInterval(askPresence, PRESENCE_EVERY_MS);
    return () => clearInterval(timer);
  }, [ready, askPresence, generation]);

  useEffect(() => {
    const { unsubscribe } = client.subscription(DashboardStream, {}).subscribe((result) => {
      // A refused stream is on the problem banner; the views still load what they can.
      if (result.error) setReady(true);
      const item = result.data?.eventStream;
      if (!item) return;
      if (item.__typename === 'StreamPosition') setReady(true);
      else if (item.__typename === 'EventsDropped') setSkipped((n) => n + item.count);
      else {
        dispatch({ type: 'event', event: item });
        if (changesCounts(item)) refreshCounts();
        if (item.type === 'AGENT_STATUS_CHANGED' || item.type === 'AGENT_DELETED') refreshPresence();
      }
    });
    return unsubscribe;
  }, [client, refreshCounts, refreshPresence]);
  useEffect(() => {
    if (overview.data) dispatch({ type: 'overview', data: overview.data });
  }, [overview.data]);
  useEffect(() => {
    if (alerts.data) dispatch({ type: 'alerts', data: alerts.data });
  }, [alerts.data]);
  useEffect(() => {
    if (feed.data) dispatch({ type: 'feed', data: feed.data });
  }, [feed.data]);

  const agents = [...fleet.agents.values()];
  const tasks = [...fleet.tasks.values()];
  return (
    <div className="page">
      <header className="top">
        <div className="brand">
          <span className="logo">◆</span> Colony <span className="muted">fleet dashboard</span>
        </div>
        <Indicator state={connection} expiredAt={expiredAt} problems={problems.list.length} />
        <AuthPanel {...props} />
      </header>
      <ProblemBanner problems={problems} />
      <SkippedNotice skipped={skipped} dismiss={() => setSkipped(0)} />
      {expiredAt && (
        <div className="notice" data-testid="cursor-expired">
          The server no longer had the events since this page's last one (CURSOR_EXPIRED at{' '}
          {expiredAt.toLocaleTimeString()}): every view was queried again, and the stream went on live.
        </div>
      )}
      <main className="grid">
        <LeaderCard leader={fleet.leader} term={fleet.term} rights={rights} run={run} />
        <Alerts alerts={fleet.alerts} />
        <Proposals
          proposals={[...fleet.proposals.values()]}
          more={fleet.moreProposals}
          agents={fleet.agents}
          rights={rights}
          run={run}
        />
        <Agents
          agents={agents}
          counts={fleet.counts?.agents ?? null}
          live={fleet.live}
          ready={ready}
          generation={generation}
          dispatch={dispatch}
          rights={rights}
          run={run}
        />
        <Tasks
          tasks={tasks}
          agents={agents}
          counts={fleet.counts?.tasks ?? null}
          ready={ready}
          generation={generation}
          dispatch={dispatch}
          rights={rights}
          run={run}
        />
        <Feed feed={fleet.feed} rights={rights} run={run} />
      </main>
    </div>
  );
}
