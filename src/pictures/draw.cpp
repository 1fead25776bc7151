// draw_graph (include/retort/pictures.hpp): the revisions as a Drawing, in the format asked.
#include "pictures/model.hpp"
#include "retort/pictures.hpp"

namespace retort {

std::string draw_graph(const std::vector<RevisionInfo>& revisions, const GraphOptions& options,
                       const std::vector<std::string>& pending) {
  const pictures::Drawing drawing = pictures::build(revisions, pending, options.full);
  switch (options.format) {
    case GraphFormat::svg:
      return pictures::svg(drawing) + "\n";
    case GraphFormat::dot:
      return pictures::dot(drawing);
    case GraphFormat::mermaid:
      return pictures::mermaid(drawing);
    case GraphFormat::ascii:
      return pictures::ascii(drawing);
  }
  return pictures::ascii(drawing);
}

}  // namespace retort
