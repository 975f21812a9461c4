// The customer portal's words, in Japanese (the guide's wording) and English.
import type { Dictionary } from "../lib/i18n";

type Key =
  | "portal_name"
  | "nav_overview"
  | "nav_alerts"
  | "nav_earthquake"
  | "sign_out"
  | "signed_in_as"
  | "session_expired"
  | "overview_title"
  | "overview_lead"
  | "no_units"
  | "stream_connecting"
  | "stream_live"
  | "stream_reconnecting"
  | "as_of"
  | "no_data_yet"
  | "stale_offline"
  | "stale_silent"
  | "in_service"
  | "out_of_service"
  | "unknown"
  | "floor"
  | "floor_short"
  | "direction"
  | "dir_up"
  | "dir_down"
  | "dir_none"
  | "door"
  | "door_open"
  | "door_opening"
  | "door_closing"
  | "door_closed"
  | "door_unknown"
  | "mode"
  | "mode_normal"
  | "mode_inspection"
  | "mode_independent"
  | "mode_fire_recall"
  | "mode_earthquake"
  | "mode_power_failure"
  | "mode_out_of_service"
  | "mode_parking"
  | "mode_unknown"
  | "load"
  | "alarm_on"
  | "faults"
  | "group"
  | "car_details"
  | "hoistway_of"
  | "building_time"
  | "unit_title"
  | "live_status"
  | "technician_title"
  | "technician_on_site"
  | "technician_unregistered"
  | "technician_none"
  | "technician_since"
  | "technician_who"
  | "checklist_progress"
  | "checklist_of"
  | "checklist_ng"
  | "usage_title"
  | "usage_hour"
  | "usage_day"
  | "usage_period"
  | "trips"
  | "door_cycles"
  | "running_time"
  | "running_min"
  | "distance"
  | "distance_m"
  | "total"
  | "availability_title"
  | "availability_period"
  | "in_service_time"
  | "out_of_service_time"
  | "unknown_time"
  | "availability_of_known"
  | "events_title"
  | "events_more"
  | "events_none"
  | "event_time"
  | "event_type"
  | "event_detail"
  | "visits_title"
  | "visits_none"
  | "visit_started"
  | "visit_ended"
  | "visit_report"
  | "visit_ongoing"
  | "unit_alerts"
  | "alerts_title"
  | "alerts_open"
  | "alerts_past"
  | "alerts_none"
  | "alerts_filter"
  | "alerts_kind"
  | "alerts_kind_all"
  | "kind_entrapment"
  | "kind_out_of_service"
  | "kind_fault"
  | "kind_earthquake"
  | "kind_device_offline"
  | "state_raised"
  | "state_acknowledged"
  | "state_cleared"
  | "alert_unit"
  | "alert_raised_at"
  | "alert_state"
  | "alert_title"
  | "alert_open_detail"
  | "alert_timeline"
  | "step_detected"
  | "step_acknowledged"
  | "step_technician_on_site"
  | "step_released"
  | "step_cleared"
  | "step_pending"
  | "ack_title"
  | "ack_comment"
  | "ack_comment_hint"
  | "ack_submit"
  | "ack_done"
  | "ack_by"
  | "ack_comment_shown"
  | "ack_too_long"
  | "ack_cleared"
  | "announce_new_alert"
  | "announce_entrapment"
  | "announce_alert_changed"
  | "earthquake_title"
  | "earthquake_lead"
  | "eq_stopped"
  | "eq_awaiting"
  | "eq_restored"
  | "eq_not_affected"
  | "eq_summary"
  | "back_to_overview"
  | "not_found"
  | "forbidden"
  | "retry";

export const portal: Dictionary<Key> = {
  ja: {
    portal_name: "カスタマーポータル",
    nav_overview: "稼働状況",
    nav_alerts: "アラート",
    nav_earthquake: "地震復旧状況",
    sign_out: "ログアウト",
    signed_in_as: "{name} さん",
    session_expired: "セッションの有効期限が切れました。もう一度ログインしてください。",
    overview_title: "稼働状況",
    overview_lead: "遠隔監視契約の昇降機の運行状態をリアルタイムで表示しています。",
    no_units: "遠隔監視契約のある昇降機はありません。",
    stream_connecting: "接続中…",
    stream_live: "リアルタイム更新中",
    stream_reconnecting: "再接続中…(表示は最新でない可能性があります)",
    as_of: "{time} 時点",
    no_data_yet: "データ未受信",
    stale_offline: "通信途絶:表示は最新ではありません",
    stale_silent: "{age} 更新なし:表示は最新ではありません",
    in_service: "運転中",
    out_of_service: "休止中",
    unknown: "不明",
    floor: "階",
    floor_short: "{floor}階",
    direction: "方向",
    dir_up: "上昇",
    dir_down: "下降",
    dir_none: "停止",
    door: "戸",
    door_open: "戸開",
    door_opening: "戸開動作中",
    door_closing: "戸閉動作中",
    door_closed: "戸閉",
    door_unknown: "戸 不明",
    mode: "運転モード",
    mode_normal: "通常運転",
    mode_inspection: "点検運転",
    mode_independent: "専用運転",
    mode_fire_recall: "火災管制運転",
    mode_earthquake: "地震管制運転",
    mode_power_failure: "停電時運転",
    mode_out_of_service: "休止",
    mode_parking: "パーキング",
    mode_unknown: "不明",
    load: "荷重",
    alarm_on: "非常呼び出し中",
    faults: "故障コード",
    group: "グループ {group}",
    car_details: "{name} の詳細",
    hoistway_of: "{group} の昇降路",
    building_time: "建物の時刻帯: {zone}",
    unit_title: "{name}",
    live_status: "運行状態",
    technician_title: "点検作業状況",
    technician_on_site: "技術者が作業中です",
    technician_unregistered: "点検運転中(作業登録なし)",
    technician_none: "現在、作業中の技術者はいません。",
    technician_since: "開始",
    technician_who: "技術者",
    checklist_progress: "チェックリスト",
    checklist_of: "{done} / {total} 項目",
    checklist_ng: "うち NG {ng} 件",
    usage_title: "ご利用状況",
    usage_hour: "時間別(直近24時間)",
    usage_day: "日別(直近14日)",
    usage_period: "集計単位",
    trips: "運行回数",
    door_cycles: "戸開閉回数",
    running_time: "走行時間",
    running_min: "走行時間(分)",
    distance: "走行距離",
    distance_m: "走行距離(m)",
    total: "合計",
    availability_title: "稼働率(直近7日)",
    availability_period: "{from} 〜 {to}",
    in_service_time: "運転",
    out_of_service_time: "休止",
    unknown_time: "データなし(不明)",
    availability_of_known: "データのある時間の稼働率",
    events_title: "イベント履歴",
    events_more: "さらに表示",
    events_none: "イベントはありません。",
    event_time: "日時",
    event_type: "種類",
    event_detail: "内容",
    visits_title: "作業履歴",
    visits_none: "作業履歴はありません。",
    visit_started: "開始",
    visit_ended: "終了",
    visit_report: "点検報告書",
    visit_ongoing: "作業中",
    unit_alerts: "この号機のアラート",
    alerts_title: "アラート",
    alerts_open: "対応中",
    alerts_past: "過去のアラート",
    alerts_none: "該当するアラートはありません。",
    alerts_filter: "表示",
    alerts_kind: "種類",
    alerts_kind_all: "すべて",
    kind_entrapment: "閉じ込め",
    kind_out_of_service: "休止",
    kind_fault: "故障",
    kind_earthquake: "地震",
    kind_device_offline: "通信途絶",
    state_raised: "未確認",
    state_acknowledged: "確認済み",
    state_cleared: "復旧",
    alert_unit: "号機",
    alert_raised_at: "発生日時",
    alert_state: "状態",
    alert_title: "アラート #{id}",
    alert_open_detail: "詳細",
    alert_timeline: "経過",
    step_detected: "検知",
    step_acknowledged: "確認",
    step_technician_on_site: "技術者到着",
    step_released: "救出",
    step_cleared: "復旧",
    step_pending: "未",
    ack_title: "確認する",
    ack_comment: "コメント",
    ack_comment_hint: "500文字以内。確認した方のお名前とともに記録されます。",
    ack_submit: "確認を記録",
    ack_done: "確認を記録しました。",
    ack_by: "確認者",
    ack_comment_shown: "コメント",
    ack_too_long: "コメントは500文字以内で入力してください。",
    ack_cleared: "このアラートはすでに復旧しています。",
    announce_new_alert: "新しいアラート: {unit} {kind}",
    announce_entrapment: "閉じ込め発生: {unit}",
    announce_alert_changed: "アラート更新: {unit} {kind} {state}",
    earthquake_title: "地震復旧状況",
    earthquake_lead: "地震管制運転の後、各号機の復旧の状況を建物ごとに表示します。",
    eq_stopped: "地震管制で停止中",
    eq_awaiting: "点検待ち",
    eq_restored: "復旧済み",
    eq_not_affected: "影響なし",
    eq_summary: "停止 {stopped} / 点検待ち {awaiting} / 復旧 {restored}",
    back_to_overview: "稼働状況へ戻る",
    not_found: "見つかりません。",
    forbidden: "この情報を表示する権限がありません。",
    retry: "再読み込み",
  },
  en: {
    portal_name: "Customer portal",
    nav_overview: "Live overview",
    nav_alerts: "Alerts",
    nav_earthquake: "Earthquake restoration",
    sign_out: "Sign out",
    signed_in_as: "{name}",
    session_expired: "Your session has ended. Please sign in again.",
    overview_title: "Live overview",
    overview_lead: "Operating status of your units under a monitoring contract, in real time.",
    no_units: "You have no units under a monitoring contract.",
    stream_connecting: "Connecting…",
    stream_live: "Live",
    stream_reconnecting: "Reconnecting… (what you see may be out of date)",
    as_of: "as of {time}",
    no_data_yet: "No data yet",
    stale_offline: "Offline: this is not current",
    stale_silent: "No update for {age}: this is not current",
    in_service: "In service",
    out_of_service: "Out of service",
    unknown: "Unknown",
    floor: "Floor",
    floor_short: "Floor {floor}",
    direction: "Direction",
    dir_up: "Going up",
    dir_down: "Going down",
    dir_none: "Stopped",
    door: "Door",
    door_open: "Door open",
    door_opening: "Door opening",
    door_closing: "Door closing",
    door_closed: "Door closed",
    door_unknown: "Door unknown",
    mode: "Mode",
    mode_normal: "Normal",
    mode_inspection: "Inspection",
    mode_independent: "Independent service",
    mode_fire_recall: "Fire recall",
    mode_earthquake: "Seismic operation",
    mode_power_failure: "Power failure",
    mode_out_of_service: "Out of service",
    mode_parking: "Parking",
    mode_unknown: "Unknown",
    load: "Load",
    alarm_on: "Alarm pressed",
    faults: "Fault codes",
    group: "Group {group}",
    car_details: "Details of {name}",
    hoistway_of: "Hoistway of {group}",
    building_time: "Building time zone: {zone}",
    unit_title: "{name}",
    live_status: "Operating status",
    technician_title: "Inspection work status",
    technician_on_site: "A technician is working on this unit",
    technician_unregistered: "In inspection mode (no visit registered)",
    technician_none: "No technician is working on this unit now.",
    technician_since: "Since",
    technician_who: "Technician",
    checklist_progress: "Checklist",
    checklist_of: "{done} of {total} items",
    checklist_ng: "{ng} not OK",
    usage_title: "Usage",
    usage_hour: "By hour (last 24 h)",
    usage_day: "By day (last 14 days)",
    usage_period: "Period",
    trips: "Trips",
    door_cycles: "Door cycles",
    running_time: "Running time",
    running_min: "Running time (min)",
    distance: "Distance",
    distance_m: "Distance (m)",
    total: "Total",
    availability_title: "Availability (last 7 days)",
    availability_period: "{from} to {to}",
    in_service_time: "In service",
    out_of_service_time: "Out of service",
    unknown_time: "No data (unknown)",
    availability_of_known: "Availability of the time with data",
    events_title: "Events",
    events_more: "Show more",
    events_none: "No events.",
    event_time: "Time",
    event_type: "Type",
    event_detail: "Detail",
    visits_title: "Technician visits",
    visits_none: "No visits.",
    visit_started: "Started",
    visit_ended: "Ended",
    visit_report: "Inspection report",
    visit_ongoing: "On site",
    unit_alerts: "This unit's alerts",
    alerts_title: "Alerts",
    alerts_open: "Open",
    alerts_past: "Past",
    alerts_none: "No alerts match.",
    alerts_filter: "Show",
    alerts_kind: "Kind",
    alerts_kind_all: "All",
    kind_entrapment: "Entrapment",
    kind_out_of_service: "Out of service",
    kind_fault: "Fault",
    kind_earthquake: "Earthquake",
    kind_device_offline: "Device offline",
    state_raised: "New",
    state_acknowledged: "Acknowledged",
    state_cleared: "Cleared",
    alert_unit: "Unit",
    alert_raised_at: "Raised",
    alert_state: "State",
    alert_title: "Alert #{id}",
    alert_open_detail: "Details",
    alert_timeline: "Timeline",
    step_detected: "Detected",
    step_acknowledged: "Acknowledged",
    step_technician_on_site: "Technician on site",
    step_released: "Released",
    step_cleared: "Cleared",
    step_pending: "not yet",
    ack_title: "Acknowledge",
    ack_comment: "Comment",
    ack_comment_hint: "Up to 500 characters. Recorded with your name.",
    ack_submit: "Record acknowledgement",
    ack_done: "Acknowledgement recorded.",
    ack_by: "Acknowledged by",
    ack_comment_shown: "Comment",
    ack_too_long: "The comment must be 500 characters or fewer.",
    ack_cleared: "This alert has already cleared.",
    announce_new_alert: "New alert: {unit} {kind}",
    announce_entrapment: "Entrapment: {unit}",
    announce_alert_changed: "Alert updated: {unit} {kind} {state}",
    earthquake_title: "Earthquake restoration",
    earthquake_lead: "After seismic operation: each car's restoration state, per building.",
    eq_stopped: "Stopped by seismic control",
    eq_awaiting: "Awaiting inspection",
    eq_restored: "Restored",
    eq_not_affected: "Not affected",
    eq_summary: "Stopped {stopped} / awaiting inspection {awaiting} / restored {restored}",
    back_to_overview: "Back to the overview",
    not_found: "Not found.",
    forbidden: "You may not see this.",
    retry: "Reload",
  },
};
