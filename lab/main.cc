// scalein-lab: measures how much long-running work each way of autoscaling wastes on scale-in,
// live (real broker, scaler and consumers) or simulated. See docs/lab.md.
#include "lab/cli/lab_command.h"

int main(int argc, char** argv) { return krs::lab::RunLabCommand(argc, argv); }
