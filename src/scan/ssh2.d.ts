/** The part of the `ssh2` package's API the credential check uses (the package ships no types). */
declare module 'ssh2' {
  import { EventEmitter } from 'node:events';
  export interface ConnectConfig {
    host: string;
    port: number;
    username: string;
    password?: string;
    readyTimeout?: number;
    tryKeyboard?: boolean;
    hostVerifier?: (key: Buffer) => boolean;
    authHandler?: string[];
    keepaliveInterval?: number;
  }
  export class Client extends EventEmitter {
    connect(config: ConnectConfig): this;
    end(): this;
    destroy(): this;
  }
}
