import cliProgress from 'cli-progress';

export interface Progress {
  advance(rows: number): void;
  /** A line for the person watching, printed above the bar. */
  note(message: string): void;
  stop(): void;
}

/**
 * Rows sent, as a bar on stderr so stdout keeps the summary. cli-progress draws nothing when stderr is not a
 * terminal (a pipe, CI, a test), so notes are written plainly there.
 */
export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const bar = new cliProgress.SingleBar(
    { stream, format: 'sending  [{bar}] {value}/{total} rows  {percentage}%  eta {eta_formatted}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const drawn = stream.isTTY === true;
  bar.start(total, 0);
  return {
    advance: (rows) => bar.increment(rows),
    // On a terminal the note replaces the bar's line; the bar redraws below it on its next update.
    note: (message) => void stream.write(drawn ? `\r\x1b[K${message}\n` : `${message}\n`),
    stop: () => bar.stop(),
  };
}
