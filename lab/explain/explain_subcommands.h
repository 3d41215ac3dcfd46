// The subcommands of `scalein-lab explain`, dispatched by RunExplain. Each returns an exit code:
// 0, or 2 after writing an error to `err`. Internal to lab/explain.
#ifndef KRS_LAB_EXPLAIN_EXPLAIN_SUBCOMMANDS_H_
#define KRS_LAB_EXPLAIN_EXPLAIN_SUBCOMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

namespace krs::lab {

int ExplainScaledJob(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ExplainHpa(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ExplainVictims(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Help text of each subcommand.
extern const char kExplainScaledJobHelp[];
extern const char kExplainHpaHelp[];
extern const char kExplainVictimsHelp[];

}  // namespace krs::lab

#endif  // KRS_LAB_EXPLAIN_EXPLAIN_SUBCOMMANDS_H_
