// Messages shared by every screen.
import type { Dictionary } from "../lib/i18n";

type Key =
  | "language"
  | "skip_to_content"
  | "navigation"
  | "home_title"
  | "home_lead"
  | "eservice"
  | "eservice_lead"
  | "portal"
  | "portal_lead"
  | "not_found_title"
  | "not_found_text"
  | "back_home"
  | "loading"
  | "error_network"
  | "error_generic";

export const common: Dictionary<Key> = {
  ja: {
    language: "表示言語",
    skip_to_content: "本文へ移動",
    navigation: "メニュー",
    home_title: "昇降機サービス",
    home_lead: "ご利用のサービスを選んでください。",
    eservice: "eService",
    eservice_lead: "昇降機の点検報告書をご覧いただけます。",
    portal: "カスタマーポータル",
    portal_lead: "遠隔監視契約の昇降機の稼働状況・利用状況・作業状況をリアルタイムでご覧いただけます。",
    not_found_title: "ページが見つかりません",
    not_found_text: "お探しのページは見つかりませんでした。",
    back_home: "トップへ戻る",
    loading: "読み込み中…",
    error_network: "サーバーに接続できません。しばらくしてからもう一度お試しください。",
    error_generic: "エラーが発生しました。",
  },
  en: {
    language: "Language",
    skip_to_content: "Skip to content",
    navigation: "Menu",
    home_title: "Elevator services",
    home_lead: "Choose your service.",
    eservice: "eService",
    eservice_lead: "Read your elevators' inspection reports.",
    portal: "Customer portal",
    portal_lead: "For units under a remote monitoring contract: how they run, how they are used and whether a technician is working on them, in real time.",
    not_found_title: "Page not found",
    not_found_text: "The page you asked for does not exist.",
    back_home: "Back to the start",
    loading: "Loading…",
    error_network: "The server cannot be reached. Please try again in a moment.",
    error_generic: "Something went wrong.",
  },
};
