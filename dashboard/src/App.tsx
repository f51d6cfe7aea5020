import { createResumableClient, type ConnectionState, type ResumableClient } from '@colony/client';
import { resumableExchange } from '@colony/client/urql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { Client, fetchExchange, Provider, useClient, useQuery } from 'urql';
import {
  useCallback,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type FormEvent,
  type ReactNode,
} from 'react';
import { decodeToken, loadToken, rightsOf, saveToken, type Rights } from './auth.js';
import {
  AgentAction,
  AssignTask,
  Broadcast,
  CancelTask,
  CastVote,
  CompleteTask,
  CreateAgent,
  CreateTask,
  DashboardQuery,
  DashboardStream,
  DeleteAgent,
  FailTask,
  ProposeConsensus,
  RenewSession,
  ReportProgress,
  StartTask,
  TriggerElection,
} from './documents.js';
import {
  emptyFleet,
  fleetReducer,
  type Agent,
  type FeedEvent,
  type Proposal,
  type Task,
} from './fleet-state.js';
import type { EventType } from './gql/graphql.js';

const GRAPHQL = '/graphql';

interface Session {
  colony: ResumableClient;
  urql: Client;
  token: { current: string };
}

function createSession(initialToken: string): Session {
  const token = { current: initialToken };
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL}`;
  const colony = createResumableClient({
    url: wsUrl,
    // Read at every (re)connect, so a renewed token is the one sent next time.
    connectionParams: () => (token.current ? { authorization: `Bearer ${token.current}` } : {}),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 3000))),
  });
  const urql = new Client({
    url: GRAPHQL,
    exchanges: [resumableExchange(colony), fetchExchange],
    fetchOptions: () => (token.current ? { headers: { authorization: `Bearer ${token.current}` } } : {}),
    requestPolicy: 'network-only',
  });
  return { colony, urql, token };
}

export function App() {
  const [token, setToken] = useState(loadToken);
  const session = useMemo(() => createSession(loadToken()), []);
  useEffect(() => () => void session.colony.dispose(), [session]);
  const rights = rightsOf(token);

  const useToken = (next: string) => {
    saveToken(next);
    setToken(next);
    session.token.current = next;
    // Reconnect with the new token; the subscription resumes where it was.
    session.colony.ws.terminate();
  };

  return (
    <Provider value={session.urql}>
      <Fleet
        session={session}
        rights={rights}
        token={token}
        onToken={useToken}
        onRenewed={(t) => {
          saveToken(t);
          setToken(t);
          session.token.current = t;
        }}
      />
    </Provider>
  );
}

/** Runs a mutation, reporting errors on screen. */
function useRun(onError: (message: string) => void) {
  const client = useClient();
  return useCallback(
    async <R, V extends object>(doc: TypedDocumentNode<R, V>, variables: V) => {
      const result = await client.mutation(doc, variables).toPromise();
      if (result.error) {
        const gql = result.error.graphQLErrors[0];
        onError(gql ? `${String(gql.extensions?.code ?? 'ERROR')}: ${gql.message}` : result.error.message);
      }
      return result;
    },
    [client, onError],
  );
}
type Run = ReturnType<typeof useRun>;

function Fleet(props: {
  session: Session;
  rights: Rights;
  token: string;
  onToken: (token: string) => void;
  onRenewed: (token: string) => void;
}) {
  const { session, rights } = props;
  const client = useClient();
  const [fleet, dispatch] = useReducer(fleetReducer, emptyFleet);
  const [connection, setConnection] = useState<ConnectionState>(session.colony.state);
  const [positioned, setPositioned] = useState(false);
  const [expiredAt, setExpiredAt] = useState<Date | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, reexecute] = useQuery({ query: DashboardQuery, pause: !positioned });

  useEffect(() => session.colony.onState(setConnection), [session]);
  useEffect(
    () =>
      session.colony.onCursorExpired(() => {
        // What happened while the cursor expired is unknown: read the state again; the stream is live.
        setExpiredAt(new Date());
        reexecute({ requestPolicy: 'network-only' });
      }),
    [session, reexecute],
  );
  useEffect(() => {
    // The stream first: once it says where it stands, the snapshot query runs and nothing falls between.
    const { unsubscribe } = client.subscription(DashboardStream, {}).subscribe((result) => {
      const item = result.data?.eventStream;
      if (!item) return;
      if (item.__typename === 'StreamPosition') setPositioned(true);
      else dispatch({ type: 'event', event: item });
    });
    return unsubscribe;
  }, [client]);
  useEffect(() => {
    if (query.data) dispatch({ type: 'snapshot', data: query.data });
  }, [query.data]);

  const onError = useCallback((message: string) => setError(message), []);
  const run = useRun(onError);
  const agents = [...fleet.agents.values()];

  return (
    <div className="page">
      <header className="top">
        <div className="brand">
          <span className="logo">◆</span> Colony <span className="muted">fleet dashboard</span>
        </div>
        <Indicator state={connection} expiredAt={expiredAt} />
        <AuthPanel {...props} />
      </header>
      {error && (
        <div className="toast" role="alert" onClick={() => setError(null)}>
          {error} <span className="muted">(click to dismiss)</span>
        </div>
      )}
      {expiredAt && (
        <div className="notice" data-testid="cursor-expired">
          The server no longer had the events since this page's last one (CURSOR_EXPIRED at{' '}
          {expiredAt.toLocaleTimeString()}): every view was queried again, and the stream went on live.
        </div>
      )}
      <main className="grid">
        <section className="card leader-card">
          <h2>Leader</h2>
          <div className="leader" data-testid="leader">
            {fleet.leader ? (
              <>
                <span className="leader-name">{fleet.leader.name}</span>
                <span className="pill">term {fleet.term}</span>
              </>
            ) : (
              <span className="muted">no leader yet{fleet.term ? ` (term ${fleet.term})` : ''}</span>
            )}
          </div>
          <button disabled={!rights.domain} onClick={() => void run(TriggerElection, {})}>
            Trigger election
          </button>
        </section>
        <Alerts alerts={fleet.alerts} />
        <Proposals
          proposals={[...fleet.proposals.values()]}
          agents={fleet.agents}
          rights={rights}
          run={run}
        />
        <Agents agents={agents} tasks={[...fleet.tasks.values()]} rights={rights} run={run} />
        <Tasks tasks={[...fleet.tasks.values()]} agents={agents} rights={rights} run={run} />
        <Feed feed={fleet.feed} rights={rights} run={run} />
      </main>
    </div>
  );
}

function Indicator({ state, expiredAt }: { state: ConnectionState; expiredAt: Date | null }) {
  let text: string;
  switch (state.status) {
    case 'idle':
    case 'connecting':
      text = 'Connecting…';
      break;
    case 'connected':
      text = 'Connected · live';
      break;
    case 'reconnecting':
      text =
        state.closed?.code === 4403
          ? `Refused: ${state.closed.reason || 'the token is missing, invalid or expired'} — paste a valid token`
          : `Reconnecting… (attempt ${state.attempt})`;
      break;
    case 'resumed':
      text = `Resumed · caught up ${state.caughtUp} event${state.caughtUp === 1 ? '' : 's'}`;
      break;
  }
  return (
    <div
      className={`indicator ${state.status}`}
      data-testid="connection"
      data-status={state.status}
      title={expiredAt ? 'Cursor expired earlier: views were re-queried' : ''}
    >
      <span className="dot" /> {text}
    </div>
  );
}

function AuthPanel(props: {
  token: string;
  rights: Rights;
  onToken: (t: string) => void;
  onRenewed: (t: string) => void;
  session: Session;
}) {
  const [draft, setDraft] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  // Re-rendered every 10 s, so that the time left stays current.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(timer);
  }, []);
  const info = props.token ? decodeToken(props.token) : null;
  const left = info?.exp ? info.exp - Date.now() / 1000 : null;

  const renew = () => {
    // Over the open socket, so that live subscriptions go on without a gap under the new token.
    props.session.colony.ws.subscribe(
      { query: print(RenewSession), variables: { token: draft.trim() } },
      {
        next: (result) => {
          if (result.errors?.length) setMessage(`Not renewed: ${result.errors[0]?.message ?? ''}`);
          else {
            props.onRenewed(draft.trim());
            setDraft('');
            setMessage('Session renewed.');
          }
        },
        error: () => setMessage('Not renewed: the socket closed.'),
        complete: () => undefined,
      },
    );
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onToken(draft.trim());
    setDraft('');
    setMessage(null);
  };

  return (
    <form className="auth" onSubmit={submit}>
      <span className="role" data-testid="role">
        {props.rights.role === 'none'
          ? 'no token (auth off)'
          : `${info?.sub ?? 'token'} · ${props.rights.role}`}
        {left !== null && (
          <span className={left < 120 ? 'warn' : 'muted'}>
            {left > 0 ? ` · expires in ${Math.ceil(left / 60)} min` : ' · expired'}
          </span>
        )}
      </span>
      <input
        type="password"
        placeholder={props.token ? 'paste a new token' : 'bearer token (optional)'}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-label="token"
      />
      <button type="submit" disabled={!draft.trim() && !props.token}>
        {draft.trim() || !props.token ? 'Use token' : 'Sign out'}
      </button>
      {props.token && (
        <button
          type="button"
          disabled={!draft.trim()}
          onClick={renew}
          title="renewSession over the open socket"
        >
          Renew
        </button>
      )}
      {message && <span className="muted">{message}</span>}
    </form>
  );
}

function Card({
  title,
  children,
  className,
  extra,
}: {
  title: string;
  children: ReactNode;
  className?: string;
  extra?: ReactNode;
}) {
  return (
    <section className={`card ${className ?? ''}`}>
      <div className="card-head">
        <h2>{title}</h2>
        {extra}
      </div>
      {children}
    </section>
  );
}

const AGENT_COLUMNS = ['ACTIVE', 'PAUSED', 'OFFLINE'] as const;

function Agents({
  agents,
  tasks,
  rights,
  run,
}: {
  agents: Agent[];
  tasks: Task[];
  rights: Rights;
  run: Run;
}) {
  // Counted from the live task board: a task event does not resend its agent.
  const load = new Map<string, number>();
  for (const task of tasks) {
    if (task.assignee && (task.status === 'ASSIGNED' || task.status === 'RUNNING'))
      load.set(task.assignee.id, (load.get(task.assignee.id) ?? 0) + 1);
  }
  const [name, setName] = useState('');
  const [type, setType] = useState('worker');
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    void run(CreateAgent, { input: { name: name.trim(), type: type.trim() || 'worker' } });
    setName('');
  };
  return (
    <Card title={`Agents · ${agents.length}`} className="wide">
      <form className="inline" onSubmit={create}>
        <input
          placeholder="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="agent name"
        />
        <input
          placeholder="type"
          value={type}
          onChange={(e) => setType(e.target.value)}
          aria-label="agent type"
        />
        <button type="submit" disabled={!rights.domain || !name.trim()}>
          Create agent
        </button>
      </form>
      <div className="columns three">
        {AGENT_COLUMNS.map((status) => {
          const list = agents.filter((a) => a.status === status);
          return (
            <div key={status} className="column" data-column={status}>
              <h3>
                {status.toLowerCase()} <span className="count">{list.length}</span>
              </h3>
              {list.map((agent) => (
                <div
                  key={agent.id}
                  className={`item agent ${status.toLowerCase()}`}
                  data-testid="agent"
                  data-name={agent.name}
                >
                  <div className="item-title">{agent.name}</div>
                  <div className="muted small">
                    {agent.type} · {load.get(agent.id) ?? 0} active task{load.get(agent.id) === 1 ? '' : 's'}
                  </div>
                  <div className="actions">
                    {status === 'ACTIVE' && (
                      <button
                        disabled={!rights.domain}
                        onClick={() => void run(AgentAction, { id: agent.id, action: 'PAUSE' })}
                      >
                        Pause
                      </button>
                    )}
                    {status === 'PAUSED' && (
                      <button
                        disabled={!rights.domain}
                        onClick={() => void run(AgentAction, { id: agent.id, action: 'RESUME' })}
                      >
                        Resume
                      </button>
                    )}
                    {status === 'OFFLINE' ? (
                      <button
                        disabled={!rights.domain}
                        onClick={() => void run(AgentAction, { id: agent.id, action: 'START' })}
                      >
                        Start
                      </button>
                    ) : (
                      <button
                        disabled={!rights.domain}
                        onClick={() => void run(AgentAction, { id: agent.id, action: 'STOP' })}
                      >
                        Stop
                      </button>
                    )}
                    <button
                      className="danger"
                      disabled={!rights.domain}
                      onClick={() => void run(DeleteAgent, { id: agent.id })}
                    >
                      Delete
                    </button>
                  </div>
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </Card>
  );
}

const TASK_COLUMNS = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

function Tasks({ tasks, agents, rights, run }: { tasks: Task[]; agents: Agent[]; rights: Rights; run: Run }) {
  const [title, setTitle] = useState('');
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    void run(CreateTask, { input: { title: title.trim() } });
    setTitle('');
  };
  const active = agents.filter((a) => a.status === 'ACTIVE');
  return (
    <Card title={`Tasks · ${tasks.length}`} className="full">
      <form className="inline" onSubmit={create}>
        <input
          placeholder="title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-label="task title"
        />
        <button type="submit" disabled={!rights.domain || !title.trim()}>
          Create task
        </button>
      </form>
      <div className="columns six">
        {TASK_COLUMNS.map((status) => {
          const list = tasks.filter((t) => t.status === status);
          return (
            <div key={status} className="column" data-column={status}>
              <h3>
                {status.toLowerCase()} <span className="count">{list.length}</span>
              </h3>
              {list.map((task) => (
                <TaskItem key={task.id} task={task} active={active} rights={rights} run={run} />
              ))}
            </div>
          );
        })}
      </div>
    </Card>
  );
}

function TaskItem({ task, active, rights, run }: { task: Task; active: Agent[]; rights: Rights; run: Run }) {
  const progress = Math.round((task.progress ?? (task.status === 'COMPLETED' ? 1 : 0)) * 100);
  const open = !['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status);
  return (
    <div className={`item task ${task.status.toLowerCase()}`} data-testid="task" data-title={task.title}>
      <div className="item-title">{task.title}</div>
      <div className="muted small">
        {task.assignee ? `→ ${task.assignee.name}` : 'unassigned'} · priority {task.priority}
      </div>
      <div className="bar-row">
        <div
          className="bar"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress}
          aria-label={`${task.title} progress`}
        >
          <div className="fill" style={{ width: `${progress}%` }} />
        </div>
        <span className="small muted">{progress}%</span>
      </div>
      {task.error && <div className="small err">{task.error}</div>}
      {open && (
        <div className="actions">
          {task.status === 'PENDING' && (
            <select
              disabled={!rights.domain}
              value=""
              aria-label={`assign ${task.title}`}
              onChange={(e) =>
                void run(AssignTask, {
                  id: task.id,
                  agentId: e.target.value === 'auto' ? null : e.target.value,
                })
              }
            >
              <option value="" disabled>
                Assign…
              </option>
              <option value="auto">least loaded</option>
              {active.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
          {task.status === 'ASSIGNED' && (
            <button disabled={!rights.domain} onClick={() => void run(StartTask, { id: task.id })}>
              Start
            </button>
          )}
          {task.status === 'RUNNING' && (
            <>
              <button
                disabled={!rights.domain || progress >= 100}
                onClick={() =>
                  void run(ReportProgress, { id: task.id, progress: Math.min(1, progress / 100 + 0.25) })
                }
              >
                +25%
              </button>
              <button disabled={!rights.domain} onClick={() => void run(CompleteTask, { id: task.id })}>
                Complete
              </button>
              <button
                disabled={!rights.domain}
                onClick={() => void run(FailTask, { id: task.id, error: 'failed from the dashboard' })}
              >
                Fail
              </button>
            </>
          )}
          <button
            className="danger"
            disabled={!rights.domain}
            onClick={() => void run(CancelTask, { id: task.id })}
          >
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

function Proposals({
  proposals,
  agents,
  rights,
  run,
}: {
  proposals: Proposal[];
  agents: Map<string, Agent>;
  rights: Rights;
  run: Run;
}) {
  const [topic, setTopic] = useState('');
  const propose = (e: FormEvent) => {
    e.preventDefault();
    if (!topic.trim()) return;
    void run(ProposeConsensus, { input: { topic: topic.trim(), ttlSeconds: 300 } });
    setTopic('');
  };
  return (
    <Card title={`Open proposals · ${proposals.length}`}>
      <form className="inline" onSubmit={propose}>
        <input
          placeholder="topic"
          value={topic}
          onChange={(e) => setTopic(e.target.value)}
          aria-label="proposal topic"
        />
        <button type="submit" disabled={!rights.domain || !topic.trim()}>
          Propose
        </button>
      </form>
      {proposals.length === 0 && <p className="muted">No open proposal.</p>}
      {proposals.map((p) => {
        const approvals = p.votes.filter((v) => v.approve).length;
        const rejections = p.votes.length - approvals;
        const voted = new Set(p.votes.map((v) => v.agent.id));
        return (
          <div key={p.id} className="item proposal" data-testid="proposal" data-topic={p.topic}>
            <div className="item-title">{p.topic}</div>
            <div
              className="tally"
              role="meter"
              aria-label={`${p.topic} tally`}
              aria-valuemin={0}
              aria-valuemax={p.voterCount}
              aria-valuenow={approvals}
            >
              <div className="yes" style={{ width: `${(approvals / Math.max(1, p.voterCount)) * 100}%` }} />
              <div className="no" style={{ width: `${(rejections / Math.max(1, p.voterCount)) * 100}%` }} />
              <div
                className="threshold"
                style={{ left: `${p.threshold * 100}%` }}
                title={`threshold ${p.threshold}`}
              />
            </div>
            <div className="small muted" data-testid="tally-text">
              {approvals} yes · {rejections} no · {p.voterCount - p.votes.length} to vote · needs{' '}
              {Math.round(p.threshold * 100)}%
            </div>
            <div className="voters">
              {p.voterIds.map((id) => {
                const vote = p.votes.find((v) => v.agent.id === id);
                const name = vote?.agent.name ?? agents.get(id)?.name ?? id.slice(-6);
                return (
                  <span key={id} className={`voter ${vote ? (vote.approve ? 'yes' : 'no') : ''}`}>
                    {name}
                    {!voted.has(id) && (
                      <>
                        <button
                          className="mini"
                          disabled={!rights.domain}
                          title="approve"
                          onClick={() => void run(CastVote, { proposalId: p.id, agentId: id, approve: true })}
                        >
                          ✓
                        </button>
                        <button
                          className="mini"
                          disabled={!rights.domain}
                          title="reject"
                          onClick={() =>
                            void run(CastVote, { proposalId: p.id, agentId: id, approve: false })
                          }
                        >
                          ✗
                        </button>
                      </>
                    )}
                  </span>
                );
              })}
            </div>
          </div>
        );
      })}
    </Card>
  );
}

function Alerts({ alerts }: { alerts: { id: string; level: string; message: string; at: string }[] }) {
  return (
    <Card title="Alerts">
      {alerts.length === 0 && <p className="muted">No alert.</p>}
      <ul className="alerts">
        {alerts.map((a) => (
          <li key={a.id} className={`alert ${a.level.toLowerCase()}`}>
            <span className="pill">{a.level}</span> {a.message}
            <span className="muted small"> · {new Date(a.at).toLocaleTimeString()}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}

const TYPE_GROUPS: Record<string, EventType[]> = {
  agents: ['AGENT_CREATED', 'AGENT_UPDATED', 'AGENT_DELETED', 'AGENT_STATUS_CHANGED', 'AGENT_ACTION'],
  tasks: [
    'TASK_CREATED',
    'TASK_ASSIGNED',
    'TASK_STARTED',
    'TASK_PROGRESS',
    'TASK_COMPLETED',
    'TASK_FAILED',
    'TASK_CANCELLED',
    'TASK_REQUEUED',
  ],
  elections: ['ELECTION_TRIGGERED', 'LEADER_ELECTED'],
  consensus: ['CONSENSUS_PROPOSED', 'CONSENSUS_VOTED', 'CONSENSUS_DECIDED'],
  system: ['HEALTH_CHANGED', 'METRICS_UPDATED', 'ALERT_TRIGGERED', 'CUSTOM'],
};

function summary(e: FeedEvent): string {
  const p = e.payload;
  switch (p.__typename) {
    case 'AgentEventPayload':
      return `${p.agent.name} (${p.agent.status.toLowerCase()})`;
    case 'TaskEventPayload':
      return `${p.task.title}${p.task.progress != null ? ` · ${Math.round(p.task.progress * 100)}%` : ''}`;
    case 'ElectionEventPayload':
      return `term ${p.election.term}${p.election.leader ? ` → ${p.election.leader.name}` : ''}`;
    case 'ProposalEventPayload':
      return `${p.proposal.topic} (${p.proposal.votes.length}/${p.proposal.voterCount})`;
    case 'AlertEventPayload':
      return p.alert.message;
    case 'CustomEventPayload':
      return JSON.stringify(p.data).slice(0, 80);
    default:
      return '';
  }
}

function Feed({ feed, rights, run }: { feed: FeedEvent[]; rights: Rights; run: Run }) {
  const [rooms, setRooms] = useState('');
  const [groups, setGroups] = useState<Set<string>>(
    () => new Set(Object.keys(TYPE_GROUPS).filter((g) => g !== 'system')),
  );
  const [room, setRoom] = useState('ops');
  const [text, setText] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const roomFilter = rooms
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const types = new Set([...groups].flatMap((g) => TYPE_GROUPS[g] ?? []));
  const shown = feed
    .filter((e) => types.has(e.type) && (!roomFilter.length || e.rooms.some((r) => roomFilter.includes(r))))
    .slice(-100)
    .reverse();
  const send = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    void run(Broadcast, { room: room.trim(), data: { message: text.trim() } });
    setText('');
  };
  return (
    <Card
      title="Event feed"
      className="full feed-card"
      extra={
        <span className="muted small">
          {shown.length} shown of {feed.length}
        </span>
      }
    >
      <div className="filters">
        <input
          placeholder="rooms, comma separated (all)"
          value={rooms}
          onChange={(e) => setRooms(e.target.value)}
          aria-label="feed rooms"
        />
        {Object.keys(TYPE_GROUPS).map((g) => (
          <label key={g} className="check">
            <input
              type="checkbox"
              checked={groups.has(g)}
              onChange={() => {
                const next = new Set(groups);
                if (!next.delete(g)) next.add(g);
                setGroups(next);
              }}
            />
            {g}
          </label>
        ))}
        <form className="inline push" onSubmit={send}>
          <input
            value={room}
            onChange={(e) => setRoom(e.target.value)}
            aria-label="broadcast room"
            className="short"
          />
          <input
            placeholder="broadcast a message"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-label="broadcast message"
          />
          <button
            type="submit"
            disabled={!rights.broadcast || !text.trim()}
            title={rights.broadcast ? '' : 'admins only'}
          >
            Broadcast
          </button>
        </form>
      </div>
      <ol className="feed" ref={list} data-testid="feed">
        {shown.map((e) => (
          <li key={e.id} data-event-id={e.id}>
            <span className="time">{new Date(e.timestamp).toLocaleTimeString()}</span>
            <span className={`type t-${e.type.split('_')[0]?.toLowerCase()}`}>{e.type}</span>
            <span className="what">{summary(e)}</span>
            <span className="rooms muted">{e.rooms.join(' ')}</span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
