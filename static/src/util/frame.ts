/**
 * Runs `fn` on the next animation frame, or after a short timeout if frames are not running
 * (a hidden tab gets no frames, but its pending edits must still reach the server).
 */
export function nextFrame(fn: () => void, fallbackMs = 100): void {
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    fn();
  };
  requestAnimationFrame(run);
  setTimeout(run, fallbackMs);
}
