/** Egress-log fixtures for discovery (filled in with the egress scanner). */
export function writeEgressFixtures(_out: string): void {}
