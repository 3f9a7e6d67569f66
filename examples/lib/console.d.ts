// k6 provides console, but neither the ES2022 lib nor @types/k6 declares it (the DOM lib would, along with much
// that k6 does not have). A project of your own may copy this file.
declare const console: {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};
