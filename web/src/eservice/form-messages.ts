// Words of the form parts (forms.tsx) and of the server's general refusals, both languages.
import type { Dictionary } from "../lib/i18n";

type Key =
  | "required"
  | "rule_met"
  | "rule_not_met"
  | "fix_fields"
  | "error_generic"
  | "error_network"
  | "throttled"
  | "account_locked"
  | "answer_locked"
  | "daily_limit"
  | "hours"
  | "busy"
  | "csrf"
  | "session_ended"
  | "seconds"
  | "minutes";

export const formWords: Dictionary<Key> = {
  ja: {
    required: "必須",
    rule_met: "満たしています",
    rule_not_met: "まだ満たしていません",
    fix_fields: "入力内容をご確認ください。赤字の項目を修正してください。",
    error_generic: "エラーが発生しました。しばらくしてからもう一度お試しください。",
    error_network: "サーバーに接続できません。しばらくしてからもう一度お試しください。",
    throttled: "試行回数が多すぎます。{s}後にもう一度お試しください。",
    account_locked: "安全のため、このアカウントは一時的にロックされています。{s}後にもう一度お試しください。",
    answer_locked:
      "セキュリティパスワードの誤りが続いたため、一時的にロックされています。{s}後にお試しいただくか、リセットをご依頼ください。",
    daily_limit: "本日の受付回数の上限に達しました。{s}後にもう一度お試しください。",
    hours: "{n}時間",
    busy: "ただいま混み合っています。{s}後にもう一度お試しください。",
    csrf: "画面の有効期限が切れました。ページを再読み込みしてからもう一度お試しください。",
    session_ended: "操作の有効期限が切れました。もう一度ログインしてください。",
    seconds: "{n}秒",
    minutes: "{n}分",
  },
  en: {
    required: "required",
    rule_met: "met",
    rule_not_met: "not met yet",
    fix_fields: "Please check your entries and correct the fields marked in red.",
    error_generic: "Something went wrong. Please try again in a moment.",
    error_network: "The server cannot be reached. Please try again in a moment.",
    throttled: "Too many attempts. Please try again in {s}.",
    account_locked: "For your safety this account is locked for now. Please try again in {s}.",
    answer_locked:
      "Too many wrong answers to the security question: it is locked for now. Try again in {s}, or ask for a reset.",
    daily_limit: "Today's limit of these requests is reached. Please try again in {s}.",
    hours: "{n} hours",
    busy: "The service is busy. Please try again in {s}.",
    csrf: "This page has expired. Please reload it and try again.",
    session_ended: "Your session has ended. Please sign in again.",
    seconds: "{n} seconds",
    minutes: "{n} minutes",
  },
};
