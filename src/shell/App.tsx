// The interactive shell: finished output goes into the terminal's scrollback; below it
// the live part (upcall pane, status line, prompt) is redrawn, and only when it changes.
// Commands go through the same table as batch and one-shot modes; this file only decides
// what to do with keys and results.
import { Box, useApp, useInput, useStdout, type Key } from 'ink';
import { splitKeys } from './split-keys.js';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { execute, type ExecResult } from '../commands/exec.js';
import { makeCtx } from '../commands/context.js';
import { startCaptureStream, type CaptureStream } from '../commands/capture-stream.js';
import { fileErrorText } from '../commands/out-file.js';
import { getGrammar } from '../commands/table.js';
import type { RouterApi, UpcallType } from '../router/api.js';
import type { LiveView } from '../control/remote.js';
import { present } from '../format/present.js';
import { painter } from '../format/style.js';
import { upcallLine } from '../format/upcalls.js';
import { helpLines, tabComplete } from './completion.js';
import { stateWords } from './state-words.js';
import type { RemoteState } from './remote-state.js';
import { appendHistory, loadHistory } from './history-file.js';
import * as ed from './line-editor.js';
import { PromptLine } from './PromptLine.js';
import { append, Scrollback, type Transcript } from './Scrollback.js';
import { StatusLine } from './StatusLine.js';
import { UpcallPane } from './UpcallPane.js';
import { useRouterStatus } from './useRouterStatus.js';
import { useTerminalSize } from './useTerminalSize.js';
import { useUpcallFeed } from './useUpcallFeed.js';
import { caretLine, hardWrap } from './wrap.js';
import { visible } from '../format/visible.js';
import type { LinkState } from './daemon-link.js';
import { basename } from 'node:path';

export const PROMPT = 'mrsh# ';

/**
 * `mrsh# `, or `mrsh@SOCKET# ` when attached to a daemon; after `configure terminal`,
 * until `end`, `(config)` says so (the commands are the same).
 */
export function promptFor(attachedTo: string | null, config: boolean): string {
  return `mrsh${attachedTo ? `@${basename(attachedTo)}` : ''}${config ? '(config)' : ''}# `;
}

/** how an attached shell learns that the daemon went away and came back */
export interface Attachment {
  socket: string;
  state: LinkState;
  onState(fn: (s: LinkState) => void): () => void;
}

export interface AppProps {
  /** an embedded router; or remote: a daemon's session (commands and the live view) */
  router?: RouterApi;
  remote?: { live: LiveView; exec(line: string): ExecResult | Promise<ExecResult> | null; state?: RemoteState };
  color: boolean;
  /** null: no persistent history (tests) */
  historyPath: string | null;
  /** render throttle of the live pane */
  paneIntervalMs?: number;
  onExit?: () => void;
  /** attached to a daemon: its socket, and whether it answers */
  attached?: Attachment;
  /** a line shown under the banner ($MRSH_HINT: the demo lab says what to try) */
  hint?: string;
}

/** rows of the upcall pane for a terminal height: smaller terminals keep more room for output */
export function paneHeight(rows: number): number {
  return rows >= 40 ? 9 : rows >= 30 ? 7 : rows >= 20 ? 5 : 3;
}

export function App(props: AppProps) {
  const router: LiveView = props.remote?.live ?? props.router!;
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const { write } = useStdout();
  const p = painter(props.color);
  const cursorPainter = painter(true);
  const ctx = useRef(props.router ? makeCtx(props.router) : null).current;
  const exec = props.remote ? props.remote.exec : (text: string) => execute(text, ctx!);
  const grammar = getGrammar();
  // Tab and ? offer vifs and addresses from the router's state (attached: the daemon's, as last fetched)
  const remoteState = props.remote?.state;
  const state = useRef(props.router ? stateWords(props.router) : remoteState ? stateWords(remoteState) : undefined).current;
  useEffect(() => void remoteState?.refresh(), [remoteState]);

  const [line, setLineState] = useState<ed.LineState>(ed.EMPTY_LINE);
  // keys of one input chunk are handled in a row, so each must see the line the last left
  const lineRef = useRef<ed.LineState>(ed.EMPTY_LINE);
  const setLine = (s: ed.LineState) => {
    lineRef.current = s;
    setLineState(s);
  };
  const [transcript, setTranscript] = useState<Transcript>(() => ({
    gen: 0,
    items: [
      {
        id: 0,
        text:
          p.bold('mrsh') +
          (props.attached ? ` multicast router shell, attached to the daemon at ${props.attached.socket}.` : ' multicast router shell.') +
          ' help lists the commands, ? what may come next, Tab completes.' +
          (props.hint ? `\n${visible(props.hint)}` : ''),
      },
    ],
  }));
  // how much of the transcript <Static> has written, so a new generation keeps the rest
  const shown = useRef({ gen: 0, n: 0 });
  useLayoutEffect(() => {
    shown.current = { gen: transcript.gen, n: transcript.items.length };
  }, [transcript]);
  const nextId = useRef(1);
  // the prompt a line is echoed after; a ref, so a line queued behind `conf t` sees it at once
  const attachedTo = props.attached?.socket ?? null;
  const [prompt, setPrompt] = useState(() => promptFor(attachedTo, false));
  const promptRef = useRef(prompt);
  const configMode = useRef(false);
  const setMode = (config: boolean) => {
    configMode.current = config;
    promptRef.current = promptFor(attachedTo, config);
    setPrompt(promptRef.current);
  };
  const [link, setLink] = useState<LinkState>(props.attached?.state ?? 'attached');
  useEffect(() => props.attached?.onState(setLink), [props.attached]);
  const [busy, setBusy] = useState<string | null>(null);
  const [monitor, setMonitor] = useState<{ types: UpcallType[] | null; lastSeq: number } | null>(null);
  // monitor capture: the stream until Ctrl-C
  const capture = useRef<{ stream: CaptureStream; file: string; what: string } | null>(null);
  const [capturing, setCapturing] = useState(false);
  const stopCapture = () => {
    const c = capture.current;
    if (!c) return;
    capture.current = null;
    setCapturing(false);
    const { packets, dropped } = c.stream.stop();
    print(p.dim(`capture stopped: ${packets} packets of ${c.what} written to ${c.file}${dropped ? `, ${dropped} dropped by the daemon (this shell read too slowly)` : ''}`));
  };
  useEffect(() => () => void capture.current?.stream.stop(), []);
  const history = useRef<string[]>(props.historyPath ? loadHistory(props.historyPath) : []);
  const histPos = useRef<number>(-1); // -1: editing a new line
  const draft = useRef<string>('');

  const { snap, tally } = useUpcallFeed(router, props.paneIntervalMs ?? 100);
  const { status, refresh } = useRouterStatus(router);

  const print = useCallback((text: string | string[]) => {
    const add = Array.isArray(text) ? text.join('\n') : text;
    const id = nextId.current++;
    setTranscript((t) => append(t, add, id, shown.current));
  }, []);
  /** a line after the prompt, wrapped as the terminal would, so a caret finds its column */
  const echo = useCallback((text: string) => print(hardWrap(promptRef.current + visible(text), columns)), [print, columns]);

  // monitor mode: append the events that arrived since the last render, coalesced
  useEffect(() => {
    if (!monitor) return;
    const { events, skipped } = tally.since(monitor.lastSeq);
    const shown = events.filter((e) => !monitor.types || monitor.types.includes(e.type));
    if (events.length === 0) return;
    const out: string[] = [];
    if (skipped) out.push(p.dim(`  ... ${skipped} more upcalls (see show upcalls)`));
    for (const e of shown) out.push(upcallLine(e, p));
    if (out.length) print(out);
    setMonitor({ ...monitor, lastSeq: events[events.length - 1].seq });
  }, [snap.version]); // eslint-disable-line react-hooks/exhaustive-deps

  const finish = useCallback(
    (r: ExecResult, text: string): Promise<void> | void => {
      setBusy(null);
      refresh();
      void remoteState?.refresh();
      // as on IOS, exit in configuration mode goes back to exec mode; quit and Ctrl-D leave
      if (r.ok && r.output.kind === 'exit' && configMode.current && r.parsed.command.name === 'exit') {
        setMode(false);
        return;
      }
      if (r.ok && r.output.kind === 'exit') {
        props.onExit?.();
        exit();
        return;
      }
      if (r.ok && r.output.kind === 'mode') {
        setMode(r.output.mode === 'config');
        return;
      }
      if (r.ok && r.output.kind === 'monitor') {
        const last = snap.recent.length ? snap.recent[snap.recent.length - 1].seq : 0;
        setMonitor({ types: r.output.types, lastSeq: last });
        print(p.dim('monitoring upcalls, Ctrl-C to stop'));
        return;
      }
      if (r.ok && r.output.kind === 'monitor-capture') {
        const { vif, family, file } = r.output;
        const what = `${family === 'inet' ? 'vif' : 'mif'} ${vif}`;
        setBusy('monitor capture');
        // the next line waits until the capture runs, so the packets it causes are in it
        return startCaptureStream(router, vif, family, file, null).then(
          (c) => {
            setBusy(null);
            capture.current = { stream: c, file, what };
            setCapturing(true);
            print(p.dim(`capturing ${what} to ${file}, Ctrl-C to stop`));
          },
          (e: unknown) => {
            setBusy(null);
            print(`% monitor capture: ${fileErrorText(file, e)}`);
          },
        );
      }
      if (!r.ok) {
        // the line is on screen just above, after the prompt: only the caret and message
        const e = r.error;
        const at = promptRef.current.length;
        const caret = e.offset === null ? null : caretLine(at + text.length, at + e.offset, columns);
        print(caret === null ? `% ${visible(e.message)}` : [caret, `% ${visible(e.message)}`]);
        return;
      }
      const out = present(r, text, { color: props.color, json: false, width: columns });
      if (out.text !== null) print(out.text);
    },
    [columns, exit, print, props, refresh, snap.recent, p],
  );

  // runs one line; a line that must wait (vif add on a real link) holds the ones after it
  const chain = useRef<Promise<void>>(Promise.resolve());
  const [queued, setQueued] = useState(0);
  const runLine = useCallback(
    (text: string) => {
      setQueued((n) => n + 1);
      chain.current = chain.current.then(() => {
        setQueued((n) => n - 1);
        return runNow(text);
      });
      // a lost daemon fails the request: say so, and keep the lines after it running
      chain.current = chain.current.catch((e: Error) => {
        setBusy(null);
        print(`% ${e.message}`);
      });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  const runNowRef = useRef<(text: string) => Promise<void> | void>(() => {});
  const runNow = (text: string) => runNowRef.current(text);

  runNowRef.current = (text: string) => {
    echo(text);
    if (text.trim() === '') return;
    const h = history.current;
    if (h[h.length - 1] !== text) {
      h.push(text);
      if (props.historyPath) appendHistory(props.historyPath, text, h);
      if (h.length > 2000) h.splice(0, h.length - 1000);
    }
    let r: ReturnType<typeof execute>;
    try {
      r = exec(text);
    } catch (e) {
      print(`% internal error: ${(e as Error).message}`);
      return;
    }
    if (r === null) return;
    if (r instanceof Promise) {
      setBusy(text.split(' ').slice(0, 2).join(' '));
      return r.then((res) => finish(res, text));
    }
    return finish(r, text);
  };

  const submit = () => {
    const text = lineRef.current.text;
    setLine(ed.EMPTY_LINE);
    histPos.current = -1;
    runLine(text);
  };

  useInput((input, key) => {
    for (const [i, k] of splitKeys(input, key)) onKey(i, k);
  });

  const onKey = (input: string, key: Key) => {
    const line = lineRef.current;
    if (key.ctrl && input === 'c') {
      if (capture.current) stopCapture();
      else if (monitor) {
        setMonitor(null);
        print(p.dim('monitor stopped'));
      } else {
        echo(`${line.text}^C`);
        setLine(ed.EMPTY_LINE);
        histPos.current = -1;
      }
      return;
    }
    if (key.ctrl && input === 'd') {
      if (line.text === '') {
        props.onExit?.();
        exit();
      } else setLine(ed.deleteForward(line));
      return;
    }
    // while a command runs the keys keep editing, and Enter queues the line behind it:
    // every line typed ahead runs, in the order it was typed (runLine's chain)
    if (key.return) return submit();
    if (key.tab || input === '?') void remoteState?.refresh();
    if (key.tab) {
      const r = tabComplete(grammar, line.text.slice(0, line.cursor), state);
      if (r.list) {
        echo(line.text);
        print(helpLines(grammar, line.text.slice(0, line.cursor), columns, state));
      }
      setLine({ text: r.text + line.text.slice(line.cursor), cursor: r.text.length });
      return;
    }
    if (key.upArrow || (key.ctrl && input === 'p')) {
      const h = history.current;
      if (h.length === 0) return;
      if (histPos.current === -1) {
        draft.current = line.text;
        histPos.current = h.length - 1;
      } else histPos.current = Math.max(0, histPos.current - 1);
      setLine(ed.set(h[histPos.current]));
      return;
    }
    if (key.downArrow || (key.ctrl && input === 'n')) {
      const h = history.current;
      if (histPos.current === -1) return;
      if (histPos.current >= h.length - 1) {
        histPos.current = -1;
        setLine(ed.set(draft.current));
      } else {
        histPos.current++;
        setLine(ed.set(h[histPos.current]));
      }
      return;
    }
    if (key.leftArrow || (key.ctrl && input === 'b')) return setLine(ed.left(line));
    if (key.rightArrow || (key.ctrl && input === 'f')) return setLine(ed.right(line));
    if (key.home || (key.ctrl && input === 'a')) return setLine(ed.home(line));
    if (key.end || (key.ctrl && input === 'e')) return setLine(ed.end(line));
    if (key.ctrl && input === 'u') return setLine(ed.killToStart(line));
    if (key.ctrl && input === 'k') return setLine(ed.killToEnd(line));
    if (key.ctrl && input === 'w') return setLine(ed.killWord(line));
    // clear the screen; the scrollback keeps what was on it, and Ink redraws the live part
    if (key.ctrl && input === 'l') return write('\x1b[H\x1b[2J');
    // terminals send DEL (0x7f) for Backspace, which Ink reports as delete
    if (key.backspace || key.delete) return setLine(ed.backspace(line));
    if (key.ctrl || key.meta || key.escape) return;
    if (input === '?') {
      echo(line.text + '?');
      print(helpLines(grammar, line.text.slice(0, line.cursor), columns, state));
      return;
    }
    if (input) {
      // a paste may carry several lines: run each complete one
      const parts = input.replace(/\r\n?/g, '\n').split('\n');
      if (parts.length === 1) return setLine(ed.insert(line, input));
      runLine(line.text + parts[0]);
      for (const l of parts.slice(1, -1)) runLine(l);
      histPos.current = -1;
      setLine(ed.set(parts[parts.length - 1]));
    }
  };

  const paneH = paneHeight(rows);
  return (
    <Box flexDirection="column" width={columns}>
      <Scrollback transcript={transcript} width={columns} />
      <UpcallPane snap={snap} height={paneH} width={columns} p={p} />
      <StatusLine status={status} width={columns} alert={link === 'lost' ? `DAEMON GONE (${attachedTo}), reconnecting` : null}
        busy={busy ? `running ${busy}${queued ? `, ${queued} typed ahead` : ''}` : monitor ? 'monitor (Ctrl-C stops)' : capturing ? 'capture (Ctrl-C stops)' : null} p={cursorPainter} />
      <PromptLine prompt={prompt} line={line} width={columns} p={cursorPainter} busy={busy !== null} />
    </Box>
  );
}
