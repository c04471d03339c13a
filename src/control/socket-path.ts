// Where the control socket lives when no --socket is given: $MRSH_SOCKET, else
// /run/mrsh.sock for root (the system daemon), else a per-user path so an unprivileged
// daemon and its clients meet without configuration.
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  if (env.MRSH_SOCKET) return env.MRSH_SOCKET;
  if (uid === 0) return '/run/mrsh.sock';
  if (env.XDG_RUNTIME_DIR) return `${env.XDG_RUNTIME_DIR}/mrsh.sock`;
  return `/tmp/mrsh-${uid}.sock`;
}
