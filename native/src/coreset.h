// Coreset kernels, pure C++ (no N-API): approximate greedy, exact greedy and the pruned variant.
#pragma once
