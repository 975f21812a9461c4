// `hoistctl flush`'s waiting requests (flush_tracker.hpp).
#include "hoistway/edge/flush_tracker.hpp"

#include <utility>

#include "hoistway/edge/cli/views.hpp"

namespace hoistway::edge {

void flush_tracker::add(std::shared_ptr<cli_reply> reply, std::uint64_t acked_through,
                        std::uint64_t target) {
  waiting_.push_back({std::move(reply), acked_through, target});
}

void flush_tracker::report(std::uint64_t acked_through, std::uint64_t depth, bool connected) {
  std::erase_if(waiting_, [&](flusher& f) {
    if (!f.reply->open()) return true;
    if (acked_through >= f.target) {
      f.reply->send(cli::dump(cli::flush_done(f.target, depth)));
      f.reply->done();
      return true;
    }
    f.reply->send(cli::dump(cli::flush_progress(f.from, f.target, acked_through, connected)));
    return false;
  });
}

}  // namespace hoistway::edge
