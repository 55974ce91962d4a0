/** Path helpers shared by the Vfs implementations. Paths use `/` separators. */

/** Joins a directory and a name with `/`. */
export function joinPath(dir: string, name: string): string {
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? dir + name : dir + '/' + name;
}

/** The directory part of `path` ('.' when there is none). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return path.slice(0, i);
}

/** The last segment of `path`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
