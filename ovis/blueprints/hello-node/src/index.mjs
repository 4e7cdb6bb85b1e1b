// Hello world: answers {"message": "<GREETING>, <name>!"} for an event {"name": ...}.
export const handler = async (event) => {
  const name = (event && event.name) || "world";
  return { message: `${process.env.GREETING || "Hello"}, ${name}!` };
};
