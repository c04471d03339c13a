// Errors of the routing-socket API carry the errno a FreeBSD kernel would return,
// by name, so a user sees EADDRINUSE and can look it up beside multicast(4).
export type Errno =
  | 'EPERM'
  | 'ENOENT'
  | 'ESRCH'
  | 'ENXIO'
  | 'ENOMEM'
  | 'EACCES'
  | 'EBUSY'
  | 'EEXIST'
  | 'EINVAL'
  | 'ENFILE'
  | 'ENOBUFS'
  | 'ENOPROTOOPT'
  | 'EOPNOTSUPP'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EAGAIN'
  | 'ENODEV'
  | 'EIO'
  // from the file system, for write memory
  | 'ENOSPC'
  | 'EROFS'
  | 'EDQUOT'
  | 'EFBIG'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ELOOP'
  | 'ENAMETOOLONG'
  | 'ETXTBSY';

/** the errnos a file operation reports by name (write memory); others become EIO */
export const FILE_ERRNOS: readonly Errno[] = ['EPERM', 'EACCES', 'ENOENT', 'ENOSPC', 'EROFS', 'EDQUOT', 'EFBIG', 'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'ETXTBSY', 'EBUSY', 'EEXIST', 'ENOMEM', 'EIO'];

export class MrtError extends Error {
  readonly errno: Errno;
  constructor(errno: Errno, message: string) {
    super(`${errno}: ${message}`);
    this.name = 'MrtError';
    this.errno = errno;
  }
}

export function fail(errno: Errno, message: string): never {
  throw new MrtError(errno, message);
}
