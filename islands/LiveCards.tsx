/** The dashboard's live figures, one card each. */
import type { ComponentChildren } from "preact";
import type { StatsSnapshot } from "../server/stats/snapshot.ts";
import {
  formatBytes,
  formatCount,
  formatRate,
  recentRate,
} from "../shared/format.ts";
import { liveStats, useLiveStats } from "../browser/live.ts";

/** The slice of a snapshot the cards show (also their JSON props). */
export interface CardFigures {
  active: number;
  max: number;
  available: number;
  transfers: number;
  started: number;
  verifiedTransfers: number;
  registeredClients: number;
  verifiedFiles: number;
  bytesReceived: number;
  /** Mean bytes per second over the last ten seconds. */
  rate: number;
}

/** Extracts the card figures from a snapshot (server and browser alike). */
export function cardFigures(snapshot: StatsSnapshot): CardFigures {
  return {
    active: snapshot.connections.active,
    max: snapshot.connections.max,
    available: snapshot.connections.available,
    transfers: snapshot.transfers.active.length,
    started: snapshot.transfers.started,
    verifiedTransfers: snapshot.transfers.verified,
    registeredClients: snapshot.registeredClients,
    verifiedFiles: snapshot.verifiedFiles,
    bytesReceived: snapshot.bytesReceived,
    rate: recentRate(snapshot.throughput),
  };
}

export default function LiveCards(props: { figures: CardFigures }) {
  useLiveStats();
  const f = liveStats.value ? cardFigures(liveStats.value) : props.figures;
  return (
    <section class="cards" aria-label="Live figures">
      <Card
        id="connections"
        label="Connected clients"
        value={formatCount(f.active)}
      >
        of {formatCount(f.max)} · {formatCount(f.available)} slots free
      </Card>
      <Card
        id="transfers"
        label="Active transfers"
        value={formatCount(f.transfers)}
      >
        {formatCount(f.started)} started · {formatCount(f.verifiedTransfers)}
        {" "}
        verified
      </Card>
      <Card
        id="clients"
        label="Registered clients"
        value={formatCount(f.registeredClients)}
      >
        in the database
      </Card>
      <Card
        id="files"
        label="Verified files"
        value={formatCount(f.verifiedFiles)}
      >
        checksum confirmed
      </Card>
      <Card
        id="bytes"
        label="Bytes received"
        value={formatBytes(f.bytesReceived)}
      >
        now {formatRate(f.rate)}
      </Card>
    </section>
  );
}

function Card(
  props: {
    id: string;
    label: string;
    value: string;
    children: ComponentChildren;
  },
) {
  return (
    <div class="card" data-card={props.id}>
      <div class="card-label">{props.label}</div>
      <div class="card-value">{props.value}</div>
      <div class="card-sub">{props.children}</div>
    </div>
  );
}
