// The live overview (/portal): buildings → groups → each group's hoistway drawn in SVG with
// every car where it is (between landings while it moves), and a tile per car with its status in
// icon + words + colour and the time of its data in the building's time zone ("as of"), marked
// stale in words when the unit is offline or silent longer than expected.
import { memo } from "preact/compat";
import { translator, useLang } from "../lib/i18n";
import { PortalLayout, StreamBadge } from "./frame";
import { type Building, type Group, type UnitInfo, freshness, status_of, fractional_floor, useBuildings, useNow, useUnitStatus } from "./live";
import { portal } from "./messages";
import { clock_time, direction_icon, direction_word, door_word, duration_words, floor_label, mode_word, service_badge, service_of } from "./words";

const t = translator(portal);

// The "as of" line and the stale warning; re-renders every second (the age moves).
export function AsOf(props: { unit_id: string; zone: string | null }) {
  const s = useUnitStatus(props.unit_id);
  const now = useNow();
  const f = freshness(s, now);
  const at = s?.last_seen_at && s.updated_at ? (Date.parse(s.last_seen_at) > Date.parse(s.updated_at) ? s.last_seen_at : s.updated_at) : s?.updated_at;
  return (
    <p class={f.stale ? "as-of stale" : "as-of"} data-stale={f.stale ? f.why ?? "yes" : "no"}>
      <span>{at ? t("as_of", { time: clock_time(at, props.zone) }) : t("no_data_yet")}</span>
      {f.stale && f.why !== "none" && (
        <strong class="badge stale">
          <span aria-hidden="true">◷</span>{" "}
          {f.why === "offline" ? t("stale_offline") : t("stale_silent", { age: duration_words(f.age_s ?? 0) })}
        </strong>
      )}
    </p>
  );
}

const CarTile = memo(function CarTile(props: { info: UnitInfo; zone: string | null }) {
  useLang();
  const { info } = props;
  const s = useUnitStatus(info.unit_id);
  const svc = service_badge(service_of(s));
  const floor = floor_label(info.floor_labels, s?.floor);
  return (
    <li class={`car-tile svc-${service_of(s)}`} data-unit={info.unit_id} data-floor={s?.floor ?? ""} data-updated={s?.updated_at ?? ""}>
      <h4 class="car-name">
        <a href={`/portal/units/${encodeURIComponent(info.unit_id)}`} aria-label={t("car_details", { name: info.name })}>
          {info.name}
        </a>
      </h4>
      <p class={`badge ${svc.cls}`}>
        <span aria-hidden="true">{svc.icon}</span> {svc.word}
      </p>
      <dl class="car-facts">
        <div>
          <dt>{t("floor")}</dt>
          <dd class="car-floor">{floor}</dd>
        </div>
        <div>
          <dt>{t("direction")}</dt>
          <dd>
            <span aria-hidden="true">{direction_icon(s?.direction)}</span> {direction_word(s?.direction)}
          </dd>
        </div>
        <div>
          <dt>{t("door")}</dt>
          <dd>{door_word(s?.door)}</dd>
        </div>
        <div>
          <dt>{t("mode")}</dt>
          <dd>{mode_word(s?.mode)}</dd>
        </div>
      </dl>
      {s?.alarm && (
        <p class="badge bad">
          <span aria-hidden="true">⚠</span> {t("alarm_on")}
        </p>
      )}
      <AsOf unit_id={info.unit_id} zone={props.zone} />
    </li>
  );
});

// One car in the shaft: a box at its (fractional) landing, its door drawn open or shut, and an
// arrow for its direction. Only this element re-renders when the car moves.
const ShaftCar = memo(function ShaftCar(props: { info: UnitInfo; column: number; landings: number; row: number; width: number }) {
  const s = useUnitStatus(props.info.unit_id);
  const f = s ? fractional_floor(s) : null;
  const x = props.column * props.width + 6;
  const w = props.width - 12;
  const svc = service_of(s);
  if (f == null) return null;
  const y = (props.landings - 1 - Math.min(Math.max(f, 0), props.landings - 1)) * props.row + 3;
  const h = props.row - 6;
  const door_open = s?.door === "open" || s?.door === "opening" || s?.door === "closing";
  return (
    <g class={`shaft-car svc-${svc}`} transform={`translate(${x} ${y.toFixed(1)})`}>
      <rect class="car-box" width={w} height={h} rx="2" />
      {door_open ? (
        <>
          <rect class="car-door" x={2} y={3} width={w / 2 - 6} height={h - 6} />
          <rect class="car-door" x={w / 2 + 4} y={3} width={w / 2 - 6} height={h - 6} />
        </>
      ) : (
        <rect class="car-door" x={2} y={3} width={w - 4} height={h - 6} />
      )}
      {s?.direction === "up" && <path class="car-arrow" d={`M${w / 2 - 5} ${h / 2 + 3} L${w / 2} ${h / 2 - 4} L${w / 2 + 5} ${h / 2 + 3} Z`} />}
      {s?.direction === "down" && <path class="car-arrow" d={`M${w / 2 - 5} ${h / 2 - 3} L${w / 2} ${h / 2 + 4} L${w / 2 + 5} ${h / 2 - 3} Z`} />}
    </g>
  );
});

function landings_of(g: Group): number {
  let n = 0;
  for (const u of g.units) n = Math.max(n, u.landings ?? u.floor_labels?.length ?? 0);
  return n;
}

// The shaft needs the landing count; without it (not set in the registry) it grows to the
// highest floor seen so far.
function Hoistway(props: { group: Group }) {
  const { group } = props;
  let landings = landings_of(group);
  if (landings === 0) {
    // Not in the registry: tall enough for every floor seen so far (at least 10).
    landings = 10;
    for (const u of group.units) landings = Math.max(landings, (status_of(u.unit_id)?.floor ?? 0) + 1);
  }
  const row = landings > 30 ? 12 : landings > 15 ? 18 : 26;
  const width = 44;
  const labels = group.units.find((u) => u.floor_labels)?.floor_labels ?? null;
  const label_w = 28;
  const h = landings * row;
  const w = group.units.length * width;
  return (
    <svg class="hoistway" viewBox={`0 0 ${w + label_w} ${h}`} width={w + label_w} height={h} role="img" aria-label={t("hoistway_of", { group: group.group_id })}>
      <g transform={`translate(${label_w} 0)`}>
        {Array.from({ length: landings }, (_, i) => (
          <g key={i}>
            <line class="landing" x1={0} x2={w} y1={(i + 1) * row} y2={(i + 1) * row} />
            {(landings <= 15 || i % 2 === 0) && (
              <text class="landing-label" x={-4} y={(landings - 1 - i) * row + row / 2 + 4} text-anchor="end">
                {labels?.[i] ?? i + 1}
              </text>
            )}
          </g>
        ))}
        {group.units.map((u, column) => (
          <rect key={`s${u.unit_id}`} class="shaft" x={column * width + 2} y={0} width={width - 4} height={h} />
        ))}
        {group.units.map((u, column) => (
          <ShaftCar key={u.unit_id} info={u} column={column} landings={landings} row={row} width={width} />
        ))}
      </g>
    </svg>
  );
}

function BuildingCard(props: { building: Building }) {
  const b = props.building;
  return (
    <section class="card building" aria-labelledby={`b-${b.building_id}`}>
      <h2 id={`b-${b.building_id}`}>{b.name}</h2>
      {b.time_zone && <p class="hint">{t("building_time", { zone: b.time_zone })}</p>}
      {b.groups.map((g) => (
        <div class="group" key={g.group_id}>
          <h3>{t("group", { group: g.group_id })}</h3>
          <div class="group-body">
            <Hoistway group={g} />
            <ul class="car-tiles">
              {g.units.map((u) => (
                <CarTile key={u.unit_id} info={u} zone={b.time_zone} />
              ))}
            </ul>
          </div>
        </div>
      ))}
    </section>
  );
}

export function Overview() {
  useLang();
  return (
    <PortalLayout title={t("overview_title")} wide>
      <OverviewBody />
    </PortalLayout>
  );
}

function OverviewBody() {
  const { buildings, error } = useBuildings();
  return (
    <>
      <div class="overview-head">
        <p>{t("overview_lead")}</p>
        <StreamBadge />
      </div>
      {error && error.status !== 401 && (
        <p class="form-error" role="alert">
          {error.status === 403 ? t("forbidden") : error.detail || error.title}
        </p>
      )}
      {buildings && buildings.length === 0 && <p>{t("no_units")}</p>}
      {buildings?.map((b) => <BuildingCard key={b.building_id} building={b} />)}
    </>
  );
}
