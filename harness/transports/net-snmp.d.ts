// Types for the part of net-snmp (which ships none) that harness/transports/snmp.ts uses.
declare module "net-snmp" {
  import type { EventEmitter } from "node:events";

  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }

  export interface User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }

  /** What a session's `dgramModule` option must provide: the one call net-snmp makes. */
  export interface DgramModule {
    createSocket(transport: "udp4" | "udp6"): EventEmitter;
  }

  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    transport?: "udp4" | "udp6";
    version?: number;
    dgramModule?: DgramModule;
  }

  export interface Session extends EventEmitter {
    get(oids: string[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void;
    set(varbinds: Varbind[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void;
    close(): void;
    /** Learned from the agent's discovery Report (SNMPv3). */
    msgSecurityParameters?: { msgAuthoritativeEngineID: Buffer; msgAuthoritativeEngineBoots: number; msgAuthoritativeEngineTime: number };
  }

  const snmp: {
    createSession(target: string, community: string, options: SessionOptions): Session;
    createV3Session(target: string, user: User, options: SessionOptions): Session;
    Version1: number;
    Version2c: number;
    SecurityLevel: Record<"noAuthNoPriv" | "authNoPriv" | "authPriv", number>;
    AuthProtocols: Record<"none" | "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512", number>;
    PrivProtocols: Record<"none" | "des" | "aes" | "aes256b" | "aes256r", number>;
    ObjectType: Record<"OctetString" | "NoSuchObject" | "NoSuchInstance" | "EndOfMibView", number>;
    ErrorStatus: Record<number, string>;
    isVarbindError(varbind: Varbind): boolean;
    RequestFailedError: new (...args: never[]) => Error & { status: number };
    ResponseInvalidError: new (...args: never[]) => Error & { code: number };
    RequestTimedOutError: new (...args: never[]) => Error;
    ResponseInvalidCode: Record<"EAuthFailure", number>;
  };
  export default snmp;
}
